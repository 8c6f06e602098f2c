/** A fixed-size buffer keeping the newest items; counts every item ever pushed, so a reader can ask for what came after its last look. */
export class RingBuffer<T> {
  private items: T[] = [];
  private total = 0;
  constructor(private readonly size: number) {}

  push(item: T): void {
    this.items.push(item);
    this.total++;
    // Trim in batches: one splice per `size / 4` pushes, not one per push.
    if (this.items.length > this.size + Math.max(1, this.size >> 2)) this.items.splice(0, this.items.length - this.size);
  }

  /** How many items were ever pushed. */
  get pushed(): number {
    return this.total;
  }

  private get kept(): T[] {
    return this.items.length > this.size ? this.items.slice(-this.size) : this.items;
  }

  /** Oldest first. */
  all(): T[] {
    return [...this.kept];
  }

  last(n: number): T[] {
    return this.kept.slice(-n);
  }

  /** The items pushed after the first `count` ever pushed (those still kept). */
  after(count: number): T[] {
    const first = this.total - this.items.length;
    const out = this.items.slice(Math.max(0, count - first));
    return out.length > this.size ? out.slice(-this.size) : out;
  }

  /** Items matching `keep` (newest `limit` of them). */
  since(at: (t: T) => boolean, limit = this.size): T[] {
    return this.kept.filter(at).slice(-limit);
  }
}
