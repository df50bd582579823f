/**
 * The media side of a participant: which implementation serves it.
 * Single-PC (/rtc/v1) participants get rtc-single.mjs, legacy (/rtc) ones rtc-legacy.mjs.
 */
export function createRtc(participant, server) {
  return new NullRtc(participant, server);
}

/** Placeholder: accepts every call, does nothing. */
class NullRtc {
  constructor(participant) { this.p = participant; }
  start() {}
  handleOffer() {}
  handleAnswer() {}
  handleTrickle() {}
  expectTrack() {}
  subscribe() {}
  unsubscribe() {}
  resume() {}
  close() {}
}
