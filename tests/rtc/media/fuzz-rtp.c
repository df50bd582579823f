/* libFuzzer: RTP parse, and build of what was parsed (it must round trip). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alto_rtp_packet p, q;
	uint8_t buf[70000];
	size_t len;
	bool vad;
	uint8_t level;

	alto_rtp_is_rtcp(data, size);
	if (alto_rtp_parse(data, size, &p) < 0)
		return 0;
	/* pointers stay inside the input */
	if (p.payload < data || p.payload + p.payload_len > data + size)
		abort();
	for (uint8_t i = 0; i < p.n_extensions; i++)
		if (p.extensions[i].data < data || p.extensions[i].data + p.extensions[i].len > data + size)
			abort();
	alto_rtp_get_audio_level(&p, 1, &vad, &level);
	alto_rtp_find_extension(&p, 2, NULL, NULL);

	/* a parsed packet builds again and parses to the same fields (the kept
	 * extensions; elements beyond the kept ones and raw profiles are not
	 * rebuilt) */
	if (!(p.extension && p.ext_profile != ALTO_RTP_EXT_PROFILE_ONE_BYTE &&
	      (p.ext_profile & 0xfff0) != ALTO_RTP_EXT_PROFILE_TWO_BYTE)) {
		if (alto_rtp_build(&p, buf, sizeof(buf), &len) == 0) {
			if (alto_rtp_parse(buf, len, &q) < 0)
				abort();
			if (q.seq != p.seq || q.timestamp != p.timestamp || q.ssrc != p.ssrc ||
			    q.payload_type != p.payload_type || q.marker != p.marker ||
			    q.payload_len != p.payload_len || q.csrc_count != p.csrc_count ||
			    q.n_extensions != p.n_extensions ||
			    memcmp(q.payload, p.payload, p.payload_len) != 0)
				abort();
		}
	}
	return 0;
}
