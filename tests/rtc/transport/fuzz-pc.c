/* libFuzzer target: remote descriptions through the peer connection, as a LiveKit server (or
 * anyone on the signaling path) could send them: as an offer to answer, and as the answer to
 * our single-PC offer. Whatever is accepted must give a description we can build. */
#include "rtc/transport/peer_connection.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void on_state(void *data, enum alto_pc_state state)
{
}

static const struct alto_pc_events events = {
	ALTO_PC_EVENTS_VERSION,
	.state_changed = on_state,
};

static const char *const loopback[] = { "127.0.0.1" };
static const struct alto_pc_config config = {
	.local_addresses = loopback,
	.n_local_addresses = 1,
};

static void inspect(struct alto_pc *pc)
{
	struct alto_pc_media_info info;
	for (size_t i = 0; i < alto_pc_n_media(pc); i++)
		if (alto_pc_get_media(pc, i, &info) != 0)
			abort();
	alto_pc_find_media_by_ssrc(pc, 1904731234u, &info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *out = NULL;
	struct alto_pc *pc;
	uint32_t id;

	memcpy(text, data, size);
	text[size] = '\0';

	/* as a remote offer (legacy subscriber PC), twice: the second is a re-offer */
	pc = alto_pc_new(NULL, &config, &events, NULL);
	if (pc == NULL)
		abort();
	if (alto_pc_set_remote_offer(pc, text, 1) == 0) {
		if (alto_pc_create_answer(pc, &out, &id) != 0)
			abort();
		free(out);
		out = NULL;
		if (alto_pc_set_remote_offer(pc, text, 2) == 0) {
			if (alto_pc_create_answer(pc, &out, &id) != 0)
				abort();
			free(out);
			out = NULL;
		}
	}
	inspect(pc);
	alto_pc_destroy(pc);

	/* as the answer to our offer (single PC) */
	pc = alto_pc_new(NULL, &config, &events, NULL);
	if (pc == NULL)
		abort();
	alto_pc_add_recv_audio(pc, 3);
	if (alto_pc_create_offer(pc, &out, &id) != 0)
		abort();
	free(out);
	out = NULL;
	if (alto_pc_set_remote_answer(pc, text, id) == 0) {
		inspect(pc);
		if (alto_pc_create_offer(pc, &out, &id) != 0)
			abort();
		free(out);
	}
	alto_pc_destroy(pc);
	free(text);
	return 0;
}
