/**
 * The media side of a participant: single-PC (/rtc/v1) participants get rtc-single.mjs,
 * legacy (/rtc) ones rtc-legacy.mjs. Both run on Node's event-loop thread; werift does its
 * UDP, DTLS and SRTP there too.
 */
import { SingleRtc } from './rtc-single.mjs';
import { LegacyRtc } from './rtc-legacy.mjs';

export function createRtc(participant, server) {
  return participant.singlePc ? new SingleRtc(participant, server) : new LegacyRtc(participant, server);
}
