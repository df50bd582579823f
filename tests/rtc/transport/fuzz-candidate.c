/* libFuzzer target: RTCIceCandidateInit JSON, as it arrives in LiveKit trickle messages. */
#include "rtc/transport/candidate.h"
#include "rtc/transport/json.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alto_candidate_init init, back;
	char json[4096], out[64];
	int64_t v;
	int n;

	alto_rtc_json_get_string((const char *)data, size, "sdpMid", out, sizeof(out));
	alto_rtc_json_get_int((const char *)data, size, "sdpMLineIndex", &v);
	if (alto_candidate_init_from_json((const char *)data, size, &init) < 0)
		return 0;
	/* what was accepted writes back and reads back the same */
	n = alto_candidate_init_to_json(&init, json, sizeof(json));
	if (n < 0)
		abort();
	if (alto_candidate_init_from_json(json, (size_t)n, &back) < 0)
		abort();
	return 0;
}
