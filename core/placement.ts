/** Where a strategy promises to place its tables: below 4 GiB (ZONE_DMA32), or anywhere. */
export const PLACEMENTS = ['dma32', 'any'] as const;

export type Placement = (typeof PLACEMENTS)[number];

export function isPlacement(value: unknown): value is Placement {
  return (PLACEMENTS as readonly unknown[]).includes(value);
}
