/**
 * OTP's restart intensity: at most `intensity` restarts in any `periodMs` window. One more means
 * the fault is not transient, and restarting again would only hide it, so the supervisor gives up.
 */
export class RestartIntensity {
  private readonly restarts: number[] = [];

  constructor(
    private readonly intensity: number,
    private readonly periodMs: number,
  ) {}

  /** Records a restart; false when it exceeds the intensity and the caller should give up. */
  allowRestart(nowMs: number): boolean {
    this.restarts.push(nowMs);
    while (this.restarts.length > 0 && (this.restarts[0] as number) <= nowMs - this.periodMs) this.restarts.shift();
    return this.restarts.length <= this.intensity;
  }

  get recentRestarts(): number {
    return this.restarts.length;
  }
}
