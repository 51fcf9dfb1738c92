/**
 * The passive port range, shared by the sessions of one worker. (Stub: the data-connection work
 * fills this in.)
 */
export class PassivePortPool {
  constructor(readonly range: string) {}
}
