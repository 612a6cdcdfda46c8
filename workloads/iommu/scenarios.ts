import { anyCpu, Buffer, type ScenarioContext } from './buffers.ts';

/**
 * Named scenarios of DMA buffers mapped and unmapped over time. Their sizes, counts and rates are
 * illustrative: chosen to look like a Chromebook of the MT8173 era, not measured on one. Each
 * yields after every map or unmap so the workload can hand out events as they come.
 */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** What `length` counts, and its default. */
  readonly unit: string;
  readonly defaultLength: number;
  run(ctx: ScenarioContext, length: number): Generator<void>;
}

const NV12_1080P = 1920 * 1088 * 1.5; // 3 MiB frame, 765 pages
const NV12_720P = 1280 * 720 * 1.5;
const XRGB_1080P = 1920 * 1080 * 4; // 7.9 MiB: 7 sections and a tail in an L2 table
const XRGB_1440P = 2560 * 1440 * 4;
const RAW10_12MP = 4000 * 3000 * 1.25; // 14.3 MiB

/** A video decoder: per frame a bitstream buffer and a 1080p frame of 4 KiB pages; frames unmapped 4 frames later. */
const videoDecode: Scenario = {
  name: 'video-decode',
  description:
    'decoder cycling 8 frame buffers (1080p NV12, scatter-gather of 4 KiB pages) and a bitstream buffer per frame (illustrative parameters, not measured)',
  unit: 'frames',
  defaultLength: 1800,
  *run(ctx, frames) {
    const { dma, buffers } = ctx;
    const pool = Array.from({ length: 8 }, () => new Buffer(buffers.pages(NV12_1080P)));
    const inFlight: Buffer[] = [];
    for (let f = 0; f < frames; f++) {
      const cpu = anyCpu(ctx);
      const bitstream = new Buffer(buffers.pages(ctx.rng.int(16, 512) * 1024));
      bitstream.map(dma, cpu);
      yield;
      const frame = pool[f % pool.length] as Buffer;
      frame.map(dma, cpu);
      inFlight.push(frame);
      yield;
      bitstream.unmap(dma, 0); // decode-done interrupt
      yield;
      if (inFlight.length > 4) {
        (inFlight.shift() as Buffer).unmap(dma, anyCpu(ctx)); // displayed, returned to the decoder
        yield;
      }
    }
    for (const b of inFlight) {
      b.unmap(dma, 0);
      yield;
    }
  },
};

/** A display: triple-buffered contiguous framebuffers and a cursor, remapped on each mode set. */
const display: Scenario = {
  name: 'display',
  description:
    'display with 3 contiguous framebuffers (sections, one tail table each) and a cursor, remapped on mode sets (illustrative parameters, not measured)',
  unit: 'mode sets',
  defaultLength: 8,
  *run(ctx, modesets) {
    const { dma, buffers } = ctx;
    const cursor = new Buffer(buffers.contiguous(64 * 64 * 4));
    cursor.map(dma, 0);
    yield;
    let fbs: Buffer[] = [];
    for (let m = 0; m <= modesets; m++) {
      for (const fb of fbs) {
        fb.unmap(dma, 0);
        yield;
      }
      // Alternate the panel and an external 1440p monitor.
      fbs = Array.from({ length: 3 }, () => new Buffer(buffers.contiguous(m % 2 ? XRGB_1440P : XRGB_1080P)));
      for (const fb of fbs) {
        fb.map(dma, 0);
        yield;
      }
    }
  },
};

/** A camera: a preview ring mapped for the session, per-frame statistics, a still capture every 30 frames. */
const camera: Scenario = {
  name: 'camera',
  description:
    'camera pipeline: 6-buffer 720p preview ring, 64 KiB ISP statistics per frame, a 12 MP raw still and JPEG every 30 frames (illustrative parameters, not measured)',
  unit: 'frames',
  defaultLength: 900,
  *run(ctx, frames) {
    const { dma, buffers } = ctx;
    const ring = Array.from({ length: 6 }, () => new Buffer(buffers.chunks(NV12_720P)));
    for (const b of ring) {
      b.map(dma, anyCpu(ctx));
      yield;
    }
    for (let f = 0; f < frames; f++) {
      const stats = new Buffer(buffers.pages(64 * 1024));
      stats.map(dma, anyCpu(ctx));
      yield;
      stats.unmap(dma, 0);
      yield;
      if (f % 30 === 29) {
        const raw = new Buffer(buffers.chunks(RAW10_12MP));
        const jpeg = new Buffer(buffers.pages(2 * 1024 * 1024));
        raw.map(dma, anyCpu(ctx));
        yield;
        jpeg.map(dma, anyCpu(ctx));
        yield;
        raw.unmap(dma, 0);
        yield;
        jpeg.unmap(dma, 0);
        yield;
      }
    }
    for (const b of ring) {
      b.unmap(dma, 0);
      yield;
    }
  },
};

/** Many small, short-lived buffers (command buffers, descriptors): about 32 live, 1–16 pages, any CPU. */
const smallBuffers: Scenario = {
  name: 'small-buffers',
  description:
    'many small short-lived buffers: about 32 live, 1 to 16 pages of 4 KiB, mapped and unmapped on any CPU (illustrative parameters, not measured)',
  unit: 'buffers',
  defaultLength: 20000,
  *run(ctx, count) {
    const { dma, buffers, rng } = ctx;
    const live: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (live.length >= 32) {
        const [old] = live.splice(rng.int(0, live.length - 1), 1) as [Buffer];
        old.unmap(dma, anyCpu(ctx));
        yield;
      }
      // Mostly one or two pages; now and then up to 16.
      const pages = rng.float() < 0.8 ? rng.int(1, 2) : rng.int(3, 16);
      const b = new Buffer(buffers.pages(pages * 4096));
      b.map(dma, anyCpu(ctx));
      live.push(b);
      yield;
    }
    for (const b of live) {
      b.unmap(dma, anyCpu(ctx));
      yield;
    }
  },
};

/** A day: boot with the display up, then sessions of browsing, video and video calls. */
const chromebookDay: Scenario = {
  name: 'chromebook-day',
  description:
    'a long-running mix: display up all day, sessions of browsing, video playback and video calls (illustrative parameters, not measured)',
  unit: 'sessions',
  defaultLength: 12,
  *run(ctx, sessions) {
    const fb = Array.from({ length: 3 }, () => new Buffer(ctx.buffers.contiguous(XRGB_1080P)));
    for (const b of fb) {
      b.map(ctx.dma, 0);
      yield;
    }
    for (let s = 0; s < sessions; s++) {
      const kind = s % 3;
      yield* smallBuffers.run(ctx, 2000 + ctx.rng.int(0, 2000));
      if (kind === 1) yield* videoDecode.run(ctx, 900 + ctx.rng.int(0, 900));
      if (kind === 2) {
        yield* camera.run(ctx, 300 + ctx.rng.int(0, 300));
        yield* videoDecode.run(ctx, 300);
      }
    }
  },
};

export const SCENARIOS: readonly Scenario[] = [videoDecode, display, camera, smallBuffers, chromebookDay];
