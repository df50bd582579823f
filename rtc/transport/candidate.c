/* alto rtc/transport: RTCIceCandidateInit <-> JSON.
 * Thread: any.
 */
#include "candidate.h"
#include "json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A member that is missing or null (browsers send "sdpMid":null) leaves the default. */
static int optional_string(const char *json, size_t len, const char *key, char *out, size_t size)
{
	int type = alto_rtc_json_member_type(json, len, key);

	out[0] = '\0';
	if (type == -ENOENT || type == ALTO_RTC_JSON_NULL)
		return 0;
	if (type != ALTO_RTC_JSON_STRING)
		return -EINVAL;
	return alto_rtc_json_get_string(json, len, key, out, size) < 0 ? -ENOSPC : 0;
}

int alto_candidate_init_from_json(const char *json, size_t len, struct alto_candidate_init *out)
{
	int64_t index;
	int res;

	if (json == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->sdp_mline_index = -1;
	res = alto_rtc_json_get_string(json, len, "candidate", out->candidate, sizeof(out->candidate));
	if (res < 0)
		return res == -ENOENT ? -EINVAL : res;
	if (strncmp(out->candidate, "a=", 2) == 0)
		memmove(out->candidate, out->candidate + 2, strlen(out->candidate + 2) + 1);
	if (out->candidate[0] != '\0' && strncmp(out->candidate, "candidate:", 10) != 0)
		return -EINVAL;
	if ((res = optional_string(json, len, "sdpMid", out->sdp_mid, sizeof(out->sdp_mid))) < 0)
		return res;
	if ((res = optional_string(json, len, "usernameFragment", out->username_fragment,
					sizeof(out->username_fragment))) < 0)
		return res;
	res = alto_rtc_json_member_type(json, len, "sdpMLineIndex");
	if (res == ALTO_RTC_JSON_NUMBER) {
		if (alto_rtc_json_get_int(json, len, "sdpMLineIndex", &index) < 0 ||
		    index < 0 || index > 65535)
			return -EINVAL;
		out->sdp_mline_index = (int)index;
	} else if (res != -ENOENT && res != ALTO_RTC_JSON_NULL) {
		return -EINVAL;
	}
	return 0;
}

int alto_candidate_init_to_json(const struct alto_candidate_init *init, char *buf, size_t size)
{
	char candidate[sizeof(init->candidate) * 6 + 3], mid[sizeof(init->sdp_mid) * 6 + 3];
	char ufrag[sizeof(init->username_fragment) * 6 + 3];
	int n;

	if (init == NULL || buf == NULL)
		return -EINVAL;
	if (alto_rtc_json_quote(init->candidate, candidate, sizeof(candidate)) < 0 ||
	    alto_rtc_json_quote(init->sdp_mid, mid, sizeof(mid)) < 0 ||
	    alto_rtc_json_quote(init->username_fragment, ufrag, sizeof(ufrag)) < 0)
		return -EINVAL;
	n = snprintf(buf, size, "{\"candidate\":%s,\"sdpMid\":%s,\"sdpMLineIndex\":%d,"
			"\"usernameFragment\":%s}", candidate, mid,
			init->sdp_mline_index < 0 ? 0 : init->sdp_mline_index, ufrag);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= size)
		return -ENOSPC;
	return n;
}
