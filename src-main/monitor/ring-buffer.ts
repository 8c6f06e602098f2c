/** A fixed-size buffer keeping the newest items. */
export class RingBuffer<T> {
  private items: T[] = [];
  constructor(private readonly size: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.size) this.items.splice(0, this.items.length - this.size);
  }

  /** Oldest first. */
  all(): T[] {
    return [...this.items];
  }

  last(n: number): T[] {
    return this.items.slice(-n);
  }

  /** Items matching `keep` (newest `limit` of them). */
  since(at: (t: T) => boolean, limit = this.size): T[] {
    return this.items.filter(at).slice(-limit);
  }
}
