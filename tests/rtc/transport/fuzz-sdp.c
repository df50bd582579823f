/* libFuzzer target: the SDP parser, and the builder on whatever it accepted. */
#include "rtc/transport/sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alto_sdp *sdp = NULL, *again = NULL;
	char *text = NULL;

	if (alto_sdp_parse((const char *)data, size, &sdp, NULL) < 0)
		return 0;
	/* what was accepted must build, and the built text must parse again */
	if (alto_sdp_build(sdp, &text) != 0)
		abort();
	if (alto_sdp_parse(text, strlen(text), &again, NULL) != 0)
		abort();
	if (again->n_media != sdp->n_media)
		abort();
	for (size_t i = 0; i < sdp->n_media; i++) {
		alto_sdp_find_media(sdp, sdp->media[i].mid);
		alto_sdp_media_find_codec(&sdp->media[i], "opus", 48000);
		alto_sdp_media_find_extmap(&sdp->media[i], ALTO_SDP_EXT_SDES_MID);
	}
	free(text);
	alto_sdp_free(again);
	alto_sdp_free(sdp);
	return 0;
}
