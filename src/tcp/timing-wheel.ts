/**
 * A hashed timing wheel (Varghese & Lauck): every timer of every connection
 * lives here, and the caller drives the wheel from ONE Node timer armed at
 * nextDeadline(). Scheduling and cancelling are O(1); advancing visits only
 * the slots of the ticks that passed (or each slot once after a long sleep).
 *
 * Times are plain numbers in milliseconds from an injected clock; the wheel
 * never reads a clock itself.
 */

export type TimerCallback = (now: number) => void;

export interface TimerHandle {
  /** Absolute deadline in ms. */
  readonly deadline: number;
}

interface Entry extends TimerHandle {
  deadline: number;
  callback: TimerCallback;
  /** Insertion order, so equal deadlines fire first-scheduled first. */
  order: number;
  slot: number;
  /** Index inside its slot array, -1 once fired or cancelled. */
  index: number;
}

export interface TimingWheelOptions {
  /** Slot granularity in ms (default 10). Deadlines are still exact. */
  tickMs?: number;
  /** Number of slots, rounded up to a power of two (default 512). */
  slots?: number;
  /** The time the wheel starts at (default 0). */
  now?: number;
}

export class TimingWheel {
  private readonly tickMs: number;
  private readonly mask: number;
  private readonly wheel: Entry[][];
  /** The last tick advance() processed; slots before it hold no due entries. */
  private currentTick: number;
  private orderCounter = 0;
  private count = 0;
  /** Cached earliest deadline; undefined = unknown (recompute lazily). */
  private cachedNext: number | undefined;
  private cacheValid = true;

  constructor(options: TimingWheelOptions = {}) {
    const tickMs = options.tickMs ?? 10;
    const slots = options.slots ?? 512;
    if (!(tickMs > 0) || !Number.isFinite(tickMs)) {
      throw new TypeError(`tickMs must be a positive finite number, got ${tickMs}`);
    }
    if (!Number.isInteger(slots) || slots < 1) {
      throw new TypeError(`slots must be a positive integer, got ${slots}`);
    }
    let size = 1;
    while (size < slots) size <<= 1;
    this.tickMs = tickMs;
    this.mask = size - 1;
    this.wheel = Array.from({ length: size }, () => []);
    this.currentTick = Math.floor((options.now ?? 0) / tickMs);
  }

  /** Number of pending timers. */
  get size(): number {
    return this.count;
  }

  schedule(deadline: number, callback: TimerCallback): TimerHandle {
    if (Number.isNaN(deadline)) throw new TypeError('deadline must be a number');
    // A deadline already in the past goes into the current slot so the next
    // advance() finds it.
    const tick = Math.max(Math.floor(deadline / this.tickMs), this.currentTick);
    const slot = tick & this.mask;
    const list = this.wheel[slot];
    const entry: Entry = {
      deadline,
      callback,
      order: this.orderCounter++,
      slot,
      index: list.length,
    };
    list.push(entry);
    this.count++;
    if (this.cacheValid && (this.cachedNext === undefined || deadline < this.cachedNext)) {
      this.cachedNext = deadline;
    }
    return entry;
  }

  /** Cancel a pending timer. Returns false if it already fired or was cancelled. */
  cancel(handle: TimerHandle): boolean {
    const entry = handle as Entry;
    if (entry.index < 0) return false;
    this.remove(entry);
    if (this.cacheValid && entry.deadline === this.cachedNext) this.cacheValid = false;
    return true;
  }

  /** Earliest pending deadline, or undefined when the wheel is empty. */
  nextDeadline(): number | undefined {
    if (!this.cacheValid) {
      this.cachedNext = this.scanEarliest();
      this.cacheValid = true;
    }
    return this.cachedNext;
  }

  /**
   * Fire every entry with deadline <= now, in deadline order (ties in
   * scheduling order). Callbacks may schedule or cancel timers; ones they
   * schedule at or before `now` fire in this same call. Returns how many fired.
   */
  advance(now: number): number {
    const nowTick = Math.floor(now / this.tickMs);
    let fired = 0;
    if (nowTick < this.currentTick) return this.fireDue(now, [this.currentTick & this.mask]);
    const span = nowTick - this.currentTick;
    const slots: number[] = [];
    if (span > this.mask) {
      for (let s = 0; s <= this.mask; s++) slots.push(s);
    } else {
      for (let t = this.currentTick; t <= nowTick; t++) slots.push(t & this.mask);
    }
    this.currentTick = nowTick;
    fired += this.fireDue(now, slots);
    return fired;
  }

  private fireDue(now: number, slots: number[]): number {
    let fired = 0;
    for (;;) {
      const due: Entry[] = [];
      for (const s of slots) {
        const list = this.wheel[s];
        for (let i = 0; i < list.length; i++) {
          if (list[i].deadline <= now) due.push(list[i]);
        }
      }
      if (due.length === 0) return fired;
      due.sort((a, b) => a.deadline - b.deadline || a.order - b.order);
      for (const e of due) this.remove(e);
      this.cacheValid = false;
      for (const e of due) {
        fired++;
        e.callback(now);
      }
      // Callbacks can only have added due entries to the current slot.
      slots = [this.currentTick & this.mask];
    }
  }

  private remove(entry: Entry): void {
    const list = this.wheel[entry.slot];
    const last = list.pop() as Entry;
    if (last !== entry) {
      list[entry.index] = last;
      last.index = entry.index;
    }
    entry.index = -1;
    this.count--;
  }

  private scanEarliest(): number | undefined {
    if (this.count === 0) return undefined;
    // Within one rotation, the first slot (in tick order) holding an entry of
    // the current rotation holds the earliest deadline; entries for later
    // rotations are only candidates, so keep the overall minimum as fallback.
    const horizon = (this.currentTick + this.mask + 1) * this.tickMs;
    let overall = Infinity;
    for (let t = 0; t <= this.mask; t++) {
      const list = this.wheel[(this.currentTick + t) & this.mask];
      let inRotation = Infinity;
      for (const e of list) {
        if (e.deadline < overall) overall = e.deadline;
        if (e.deadline < horizon && e.deadline < inRotation) inRotation = e.deadline;
      }
      if (inRotation !== Infinity) {
        // An entry due in this rotation at this slot beats anything in later
        // slots of this rotation, but a past-due entry elsewhere cannot exist
        // (past deadlines are filed in the current slot).
        return Math.min(inRotation, overall);
      }
    }
    return overall === Infinity ? undefined : overall;
  }
}
