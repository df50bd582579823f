/* alto-signal-probe: joins a LiveKit room through the real signaling client with a join
 * request of a chosen size, for tests/integration/signaling-join-size.test.mjs.
 *
 *   LIVEKIT_TOKEN=<jwt> alto-signal-probe URL [--recv-audio N] [--metadata-bytes N [--random]]
 *                                            [--plain-path-len L] [--max-retries N] [-v]
 *
 * --recv-audio N puts a real single-PC offer (rtc/transport's alto_pc, N recvonly audio
 * sections, as node/ makes it) into JoinRequest.publisher_offer and applies the server's
 * answer to it; --metadata-bytes N sends N bytes of JoinRequest.metadata (compressible text,
 * or with --random incompressible base64 characters); --plain-path-len L picks the metadata
 * length that makes the uncompressed /rtc/v1 path as long as possible but at most L characters
 * (computed with signaling's own wire code and the same parameters as the client).
 * One JSON object per line on stdout: planned, offer, joined, answer, reconnecting, left.
 * The client's log (domain alto-signal) goes to stderr with -v.
 * Exit: 0 joined (and, with an offer, the answer applied) then left; 2 the session ended
 * otherwise; 1 usage.
 *
 * Thread: one, the main loop's (the signaling client and the pc share its context). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <glib.h>

#include "alto-signal.h"
#include "alto-text.h"
#include "wire.h"
#include "rtc/transport/peer_connection.h"

struct probe {
	GMainLoop *loop;
	struct alto_signal_client *client;
	struct alto_pc *pc;
	char *offer;
	uint32_t offer_id;
	unsigned recv_audio;
	bool leaving;
	int exit_code;
};

static void print_line(GString *s)
{
	g_string_append(s, "}\n");
	fputs(s->str, stdout);
	fflush(stdout);
	g_string_free(s, TRUE);
}

static GString *event_begin(const char *event)
{
	GString *s = g_string_new("{\"event\":");
	alto_text_append_json_string(s, event, (size_t)-1);
	return s;
}

static void add_str(GString *s, const char *key, const char *value)
{
	g_string_append_printf(s, ",\"%s\":", key);
	alto_text_append_json_string(s, value ? value : "", (size_t)-1);
}

static unsigned count_lines(const char *sdp, const char *start)
{
	unsigned n = 0;

	for (const char *p = sdp; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (g_str_has_prefix(p, start))
			n++;
	return n;
}

static void leave(struct probe *pr)
{
	if (pr->leaving)
		return;
	pr->leaving = true;
	alto_signal_client_leave(pr->client);
}

static void on_join_offer(void *data, bool rejoin, struct alto_join_offer *offer)
{
	struct probe *pr = data;
	GString *s;
	int res;

	if (pr->pc == NULL)
		return;
	if (pr->offer == NULL) {
		if ((res = alto_pc_create_offer(pr->pc, &pr->offer, &pr->offer_id)) < 0) {
			fprintf(stderr, "alto_pc_create_offer: %s\n", g_strerror(-res));
			return;
		}
		s = event_begin("offer");
		g_string_append_printf(s, ",\"bytes\":%zu,\"sections\":%u,\"id\":%u,\"rejoin\":%s",
				       strlen(pr->offer), count_lines(pr->offer, "m="), pr->offer_id,
				       rejoin ? "true" : "false");
		print_line(s);
	}
	/* a rejoin would need a new pc; the probe offers the same description again */
	offer->sdp = pr->offer;
	offer->id = pr->offer_id;
}

static void on_joined(void *data, const struct alto_join_info *info)
{
	struct probe *pr = data;
	GString *s = event_begin("joined");

	add_str(s, "sid", info->self ? info->self->sid : "");
	add_str(s, "room", info->room ? info->room->name : "");
	g_string_append_printf(s, ",\"single_pc\":%s", info->single_pc ? "true" : "false");
	print_line(s);
	if (pr->pc == NULL)
		leave(pr);
}

static void on_answer(void *data, const struct alto_session_description *sd)
{
	struct probe *pr = data;
	struct alto_pc_media_info mi;
	unsigned accepted = 0;
	GString *s;
	int res;

	if (pr->pc == NULL)
		return;
	res = alto_pc_set_remote_answer(pr->pc, sd->sdp, sd->id);
	for (size_t i = 0; res == 0 && alto_pc_get_media(pr->pc, i, &mi) == 0; i++)
		if (!mi.rejected)
			accepted++;
	s = event_begin("answer");
	g_string_append_printf(s, ",\"id\":%u,\"res\":%d,\"sections\":%u,\"accepted\":%u",
			       sd->id, res, count_lines(sd->sdp, "m="), accepted);
	print_line(s);
	leave(pr);
}

static void on_reconnecting(void *data, const struct alto_reconnect_status *st)
{
	GString *s = event_begin("reconnecting");

	g_string_append_printf(s, ",\"attempt\":%u,\"full\":%s", st->attempt, st->full ? "true" : "false");
	add_str(s, "reason", st->reason);
	print_line(s);
}

static void on_left(void *data, const struct alto_left_info *info)
{
	static const char *const ends[] = { "client", "removed", "unauthorized", "refused",
					    "unreachable", "error" };
	struct probe *pr = data;
	GString *s = event_begin("left");

	add_str(s, "end", info->end < G_N_ELEMENTS(ends) ? ends[info->end] : "unknown");
	add_str(s, "message", info->message);
	g_string_append_printf(s, ",\"http_status\":%u", info->http_status);
	print_line(s);
	pr->exit_code = info->end == ALTO_SIGNAL_END_CLIENT ? 0 : 2;
	g_main_loop_quit(pr->loop);
}

static void on_pc_error(void *data, int res, const char *message)
{
	fprintf(stderr, "pc error %d: %s\n", res, message);
}

static void log_to_stderr(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
	int verbose = *(int *)data;

	if (verbose > 0 || (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)))
		fprintf(stderr, "%s: %s\n", domain, message);
}

/* The metadata length that makes the client's plain /rtc/v1 path as long as possible within
 * @limit: the client's parameters (no prefix, auto_subscribe, uname's release, the offer). */
static int plan_metadata(char *metadata, size_t cap, const char *offer, uint32_t offer_id, size_t limit)
{
	struct utsname un;
	int best = -1;
	size_t best_len = 0, best_jr = 0;

	if (uname(&un) != 0)
		return -errno;
	for (size_t m = 0; m < cap; m++) {
		struct alto_join_params p = {
			.prefix = "", .v1 = true, .auto_subscribe = true,
			.os_version = un.release, .offer_sdp = offer, .offer_id = offer_id,
		};
		struct alto_wire_path_info info;
		char *path = NULL, save = metadata[m];

		metadata[m] = '\0';
		p.metadata = m ? metadata : NULL;
		if (alto_wire_join_path(&p, &path, NULL, &info) == 0)
			g_free(path);
		metadata[m] = save;
		if (info.plain_path_len <= limit && info.plain_path_len >= best_len) {
			best = (int)m;
			best_len = info.plain_path_len;
			best_jr = info.join_request_len;
		}
	}
	if (best >= 0) {
		GString *s = event_begin("planned");
		g_string_append_printf(s, ",\"metadata_bytes\":%d,\"plain_path_len\":%zu,"
				       "\"join_request_bytes\":%zu,\"path_max\":%d",
				       best, best_len, best_jr, ALTO_WIRE_PATH_MAX);
		print_line(s);
	}
	return best;
}

int main(int argc, char **argv)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static const char words[] = "alto joins a livekit room and makes it part of the audio graph. ";
	struct probe pr = { .exit_code = 2 };
	struct alto_signal_config cfg = { .max_retries = -1 };
	struct alto_signal_events events = {
		.version = ALTO_VERSION_SIGNAL_EVENTS,
		.join_offer = on_join_offer, .joined = on_joined, .answer = on_answer,
		.reconnecting = on_reconnecting, .left = on_left,
	};
	struct alto_pc_events pc_events = { .version = ALTO_PC_EVENTS_VERSION, .error = on_pc_error };
	struct alto_pc_config pc_config = { 0 };
	const char *url = NULL;
	char *metadata = NULL;
	long metadata_bytes = -1, plain_path_len = -1;
	bool random_metadata = false;
	int verbose = 0, res;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--recv-audio") && v) {
			pr.recv_audio = (unsigned)atoi(v);
			i++;
		} else if (!strcmp(a, "--metadata-bytes") && v) {
			metadata_bytes = atol(v);
			i++;
		} else if (!strcmp(a, "--plain-path-len") && v) {
			plain_path_len = atol(v);
			i++;
		} else if (!strcmp(a, "--max-retries") && v) {
			cfg.max_retries = atoi(v);
			i++;
		} else if (!strcmp(a, "--random")) {
			random_metadata = true;
		} else if (!strcmp(a, "-v")) {
			verbose++;
		} else if (a[0] != '-' && url == NULL) {
			url = a;
		} else {
			fprintf(stderr, "usage: LIVEKIT_TOKEN=... %s URL [--recv-audio N] "
				"[--metadata-bytes N [--random]] [--plain-path-len L] [--max-retries N] [-v]\n",
				argv[0]);
			return 1;
		}
	}
	cfg.url = url;
	cfg.token = getenv("LIVEKIT_TOKEN");
	if (url == NULL || cfg.token == NULL || metadata_bytes > 1 << 20 || plain_path_len > 1 << 20) {
		fprintf(stderr, "%s: a URL and LIVEKIT_TOKEN in the environment are needed\n", argv[0]);
		return 1;
	}
	g_log_set_handler("alto-signal", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL, log_to_stderr, &verbose);

	pr.loop = g_main_loop_new(NULL, FALSE);
	if (pr.recv_audio > 0) {
		pr.pc = alto_pc_new(g_main_context_default(), &pc_config, &pc_events, &pr);
		if (pr.pc == NULL || (res = alto_pc_add_recv_audio(pr.pc, pr.recv_audio)) < 0) {
			fprintf(stderr, "cannot make the peer connection\n");
			return 2;
		}
		if ((res = alto_pc_create_offer(pr.pc, &pr.offer, &pr.offer_id)) < 0) {
			fprintf(stderr, "alto_pc_create_offer: %s\n", g_strerror(-res));
			return 2;
		}
		GString *s = event_begin("offer");
		g_string_append_printf(s, ",\"bytes\":%zu,\"sections\":%u,\"id\":%u",
				       strlen(pr.offer), count_lines(pr.offer, "m="), pr.offer_id);
		print_line(s);
	}
	if (metadata_bytes >= 0 || plain_path_len >= 0) {
		size_t cap = metadata_bytes >= 0 ? (size_t)metadata_bytes : 4096;
		GRand *rand = g_rand_new_with_seed(1);

		metadata = g_malloc(cap + 1);
		for (size_t i = 0; i < cap; i++)
			metadata[i] = random_metadata ? alphabet[g_rand_int_range(rand, 0, 64)]
						      : words[i % (sizeof(words) - 1)];
		metadata[cap] = '\0';
		g_rand_free(rand);
		if (plain_path_len >= 0) {
			res = plan_metadata(metadata, cap, pr.offer, pr.offer_id, (size_t)plain_path_len);
			if (res < 0) {
				fprintf(stderr, "no metadata length gives a path of at most %ld\n", plain_path_len);
				return 2;
			}
			metadata[res] = '\0';
		}
		cfg.metadata = metadata[0] ? metadata : NULL;
	}

	pr.client = alto_signal_client_new(g_main_context_default(), &cfg, &events, &pr);
	if (pr.client == NULL) {
		fprintf(stderr, "alto_signal_client_new: %s\n", g_strerror(errno));
		return 2;
	}
	g_main_loop_run(pr.loop);

	alto_signal_client_destroy(pr.client);
	if (pr.pc)
		alto_pc_destroy(pr.pc);
	free(pr.offer);
	g_free(metadata);
	g_main_loop_unref(pr.loop);
	return pr.exit_code;
}
