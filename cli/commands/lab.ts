import { LabError } from '../../kernel/lab/errors.ts';
import { labInfo } from '../../kernel/lab/info.ts';
import { prepareLab } from '../../kernel/lab/prepare.ts';

/** `l2bench lab info`: what is ready and what is missing, as text or JSON; exit 0 when a guest can boot, 1 when not. */
export function labInfoCommand(flags: { json?: boolean }): { output: string; exitCode: number } {
  const i = labInfo();
  if (flags.json) {
    const json = {
      ready: i.ready,
      modules_ready: i.modulesReady,
      dir: i.dir,
      problems: i.problems,
      items: Object.fromEntries(i.items.map((it) => [it.name, { ok: it.ok, detail: it.detail }])),
      kernel: i.state?.kernel ?? null,
      prepared: i.state?.prepared ?? null,
      prepare_seconds: i.state?.seconds ?? null,
    };
    return { output: `${JSON.stringify(json, null, 2)}\n`, exitCode: i.ready ? 0 : 1 };
  }
  const width = Math.max(...i.items.map((it) => it.name.length));
  const lines = [
    `lab         ${i.dir}`,
    ...i.items.map((it) => `${it.ok ? 'ok ' : 'NO '}${it.name.padEnd(width)}  ${it.detail}`),
    i.ready
      ? `ready: a guest can boot (l2bench capture)${i.modulesReady ? ', and modules can be built for it' : ''}`
      : 'not ready: l2bench lab prepare (as root) installs and builds what is missing',
  ];
  return { output: `${lines.join('\n')}\n`, exitCode: i.ready ? 0 : 1 };
}

/** `l2bench lab prepare`: install, download, unpack and build what is missing, reusing the rest. */
export async function labPrepareCommand(): Promise<number> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const t0 = performance.now();
  try {
    const r = await prepareLab({
      signal: abort.signal,
      onStep: (line) => process.stderr.write(`l2bench: lab: ${line}\n`),
    });
    const k = r.state.kernel;
    const steps = Object.entries(r.state.seconds)
      .map(([step, s]) => `${step} ${s.toFixed(1)} s`)
      .join(', ');
    const lines = [
      ...r.notes.map((n) => `note     ${n}`),
      ...(r.reused.length ? [`reused   ${r.reused.join(', ')}`] : []),
      `kernel   ${k.package} ${k.version}, sha256 ${k.deb_sha256}`,
      `initramfs ${(r.state.initramfs.bytes / 1e6).toFixed(1)} MB, ${r.state.initramfs.modules.length} modules`,
      `took     ${((performance.now() - t0) / 1000).toFixed(1)} s wall${steps ? ` (${steps})` : ''}`,
      `ready    ${labInfo().dir}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    process.stderr.write(`l2bench: lab prepare: ${e.message}\n`);
    return e.exitCode;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
