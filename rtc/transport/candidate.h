/* alto rtc/transport: trickle ICE candidates as JSON RTCIceCandidateInit.
 *
 * LiveKit's TrickleRequest.candidateInit is the JSON of a browser RTCIceCandidateInit:
 *   {"candidate":"candidate:1 1 udp 2130706431 192.0.2.2 50000 typ host","sdpMid":"0",
 *    "sdpMLineIndex":0,"usernameFragment":"abcd"}
 * An empty "candidate" means end of candidates.
 * Thread: any.
 */
#ifndef ALTO_RTC_TRANSPORT_CANDIDATE_H
#define ALTO_RTC_TRANSPORT_CANDIDATE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct alto_candidate_init {
	char candidate[512];		/* "candidate:..." (an "a=" prefix is removed), "" = end */
	char sdp_mid[64];		/* "" when absent or null */
	int sdp_mline_index;		/* -1 when absent or null */
	char username_fragment[256];	/* "" when absent or null */
};

/* Parse JSON text. 0, or -EINVAL (malformed, no "candidate" string), -ENOSPC (a field too
 * long). */
int alto_candidate_init_from_json(const char *json, size_t len, struct alto_candidate_init *out);

/* Write JSON into @buf. Returns the length, -ENOSPC or -EINVAL. */
int alto_candidate_init_to_json(const struct alto_candidate_init *init, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ALTO_RTC_TRANSPORT_CANDIDATE_H */
