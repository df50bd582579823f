/* alto-rtc-peer: one alto_pc driven over stdin/stdout, for interop tests against other WebRTC
 * stacks (tests/integration/rtc-werift.test.mjs). Not a unit test.
 *
 * One JSON object per line both ways.
 *   in:  {"type":"offer"|"answer","sdp":"...","id":N}
 *        {"type":"candidate","candidateInit":"<RTCIceCandidateInit JSON as a string>"}
 *        {"type":"send-rtp","count":N}   N packets, 20 ms apart, payload "alto-rtp-<seq>"
 *        {"type":"send-rtcp"}            one receiver report
 *        {"type":"restart-ice"}          new offer with new ICE credentials; when the new
 *                                        checks are done: {"type":"ice-restart-done"}
 *        {"type":"close"}
 *   out: {"type":"offer"|"answer","sdp":"...","id":N}
 *        {"type":"candidate","candidateInit":"..."}, {"type":"candidate","final":true}
 *        {"type":"state","state":"connected"}, {"type":"error","code":-111,"message":"..."}
 *        {"type":"rtp","ssrc":N,"pt":N,"seq":N,"payload":"<text>","mid":"..","track":".."}
 *        {"type":"rtcp","len":N}, {"type":"sent","count":N}, {"type":"media",...}
 * Options: --offer (make the first offer), --send (publish one audio track), --recv N (N
 * recvonly sections in our offer), --tamper-fingerprint (change the remote fingerprint
 * before applying it), --address A (host candidate address, repeatable).
 * Thread: one, iterating the default GMainContext.
 */
#include "rtc/transport/json.h"
#include "rtc/transport/peer_connection.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib-unix.h>

struct app {
	GMainLoop *loop;
	struct alto_pc *pc;
	bool tamper;
	uint32_t ssrc;
	uint16_t seq;
	int to_send;
	GSource *send_timer;
	bool restarting;
	int exit_code;
};

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static char *quote(const char *s)
{
	size_t size = strlen(s) * 6 + 3;
	char *q = g_malloc(size);
	if (alto_rtc_json_quote(s, q, size) < 0)
		strcpy(q, "\"\"");
	return q;
}

static void emit_description(const char *type, const char *sdp, uint32_t id)
{
	char *q = quote(sdp);
	emit("{\"type\":\"%s\",\"sdp\":%s,\"id\":%u}", type, q, id);
	g_free(q);
}

static void emit_media(struct app *app)
{
	for (size_t i = 0; i < alto_pc_n_media(app->pc); i++) {
		struct alto_pc_media_info info;
		if (alto_pc_get_media(app->pc, i, &info) < 0)
			continue;
		char *track = quote(info.remote_track_id), *stream = quote(info.remote_stream_id);
		emit("{\"type\":\"media\",\"mid\":\"%s\",\"direction\":\"%s\",\"rejected\":%s,"
				"\"remoteTrack\":%s,\"remoteStream\":%s,\"localSsrc\":%u,"
				"\"opusPt\":%d}", info.mid, alto_sdp_direction_name(info.direction),
				info.rejected ? "true" : "false", track, stream, info.local_ssrc,
				info.opus_pt);
		g_free(track);
		g_free(stream);
	}
}

/* ---- pc events ---- */

static void on_state(void *data, enum alto_pc_state state)
{
	emit("{\"type\":\"state\",\"state\":\"%s\"}", alto_pc_state_name(state));
}

static void on_candidate(void *data, const char *json)
{
	if (json == NULL) {
		emit("{\"type\":\"candidate\",\"final\":true}");
		return;
	}
	char *q = quote(json);
	emit("{\"type\":\"candidate\",\"candidateInit\":%s}", q);
	g_free(q);
}

static void on_rtp(void *data, const uint8_t *buf, size_t len)
{
	struct app *app = data;
	struct alto_pc_media_info info = { 0 };
	size_t off = 12 + 4u * (buf[0] & 0x0f);
	uint32_t ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
	char payload[65];
	size_t n = 0;

	if ((buf[0] & 0x10) && off + 4 <= len)
		off += 4 + 4u * ((size_t)buf[off + 2] << 8 | buf[off + 3]);
	for (; off < len && n < 64; off++, n++)
		payload[n] = buf[off] >= 0x20 && buf[off] < 0x7f && buf[off] != '"' &&
			buf[off] != '\\' ? (char)buf[off] : '.';
	payload[n] = '\0';
	alto_pc_find_media_by_ssrc(app->pc, ssrc, &info);
	emit("{\"type\":\"rtp\",\"ssrc\":%u,\"pt\":%u,\"seq\":%u,\"len\":%zu,\"payload\":\"%s\","
			"\"mid\":\"%s\",\"track\":\"%s\"}", ssrc, buf[1] & 0x7f,
			(unsigned)buf[2] << 8 | buf[3], len, payload, info.mid, info.remote_track_id);
}

static void on_rtcp(void *data, const uint8_t *buf, size_t len)
{
	emit("{\"type\":\"rtcp\",\"len\":%zu,\"pt\":%u}", len, buf[1]);
}

static void on_error(void *data, int res, const char *message)
{
	char *q = quote(message);
	emit("{\"type\":\"error\",\"code\":%d,\"message\":%s}", res, q);
	g_free(q);
}

static const struct alto_pc_events events = {
	ALTO_PC_EVENTS_VERSION,
	.state_changed = on_state,
	.local_candidate = on_candidate,
	.rtp = on_rtp,
	.rtcp = on_rtcp,
	.error = on_error,
};

/* ---- commands ---- */

static gboolean send_next(gpointer data)
{
	struct app *app = data;
	struct alto_pc_media_info info;
	uint8_t packet[128];
	int pt = 111, len;

	for (size_t i = 0; i < alto_pc_n_media(app->pc); i++)
		if (alto_pc_get_media(app->pc, i, &info) == 0 && info.local_ssrc == app->ssrc &&
		    info.opus_pt >= 0)
			pt = info.opus_pt;
	app->seq++;
	uint32_t ts = 960u * app->seq;
	packet[0] = 0x80;
	packet[1] = (uint8_t)pt;
	packet[2] = (uint8_t)(app->seq >> 8);
	packet[3] = (uint8_t)app->seq;
	packet[4] = (uint8_t)(ts >> 24); packet[5] = (uint8_t)(ts >> 16);
	packet[6] = (uint8_t)(ts >> 8); packet[7] = (uint8_t)ts;
	packet[8] = (uint8_t)(app->ssrc >> 24); packet[9] = (uint8_t)(app->ssrc >> 16);
	packet[10] = (uint8_t)(app->ssrc >> 8); packet[11] = (uint8_t)app->ssrc;
	len = snprintf((char *)packet + 12, sizeof(packet) - 12, "alto-rtp-%u", app->seq);
	int res = alto_pc_send_rtp(app->pc, packet, 12 + (size_t)len);
	if (res < 0)
		on_error(app, res, "send_rtp failed");
	if (--app->to_send > 0)
		return G_SOURCE_CONTINUE;
	emit("{\"type\":\"sent\",\"seq\":%u}", app->seq);
	g_source_unref(app->send_timer);
	app->send_timer = NULL;
	return G_SOURCE_REMOVE;
}

static void tamper_fingerprint(char *sdp)
{
	char *p = sdp;
	while ((p = strstr(p, "a=fingerprint:")) != NULL) {
		char *hex = strchr(p, ' ');
		if (hex == NULL)
			break;
		hex++;
		*hex = *hex == 'A' ? 'B' : 'A';
		p = hex;
	}
}

static void offer(struct app *app)
{
	char *sdp = NULL;
	uint32_t id;
	int res = alto_pc_create_offer(app->pc, &sdp, &id);
	if (res < 0) {
		on_error(app, res, "create_offer failed");
		return;
	}
	emit_description("offer", sdp, id);
	free(sdp);
}

static void handle_line(struct app *app, const char *line, size_t len)
{
	char type[32];
	int64_t number = 0;
	int res;

	if (alto_rtc_json_get_string(line, len, "type", type, sizeof(type)) < 0) {
		on_error(app, -EINVAL, "bad input line");
		return;
	}
	if (strcmp(type, "offer") == 0 || strcmp(type, "answer") == 0) {
		char *sdp = g_malloc(len + 1);
		uint32_t id = 0;
		if (alto_rtc_json_get_string(line, len, "sdp", sdp, len + 1) < 0) {
			g_free(sdp);
			on_error(app, -EINVAL, "no sdp");
			return;
		}
		if (alto_rtc_json_get_int(line, len, "id", &number) == 0)
			id = (uint32_t)number;
		if (app->tamper)
			tamper_fingerprint(sdp);
		if (type[0] == 'a') {
			res = alto_pc_set_remote_answer(app->pc, sdp, id);
			if (res < 0)
				on_error(app, res, "set_remote_answer failed");
		} else {
			char *answer = NULL;
			res = alto_pc_set_remote_offer(app->pc, sdp, id);
			if (res == 0)
				res = alto_pc_create_answer(app->pc, &answer, &id);
			if (res < 0)
				on_error(app, res, "answering failed");
			else
				emit_description("answer", answer, id);
			free(answer);
		}
		g_free(sdp);
		emit_media(app);
	} else if (strcmp(type, "candidate") == 0) {
		char init[2048];
		if (alto_rtc_json_get_string(line, len, "candidateInit", init, sizeof(init)) < 0)
			return;
		res = alto_pc_add_remote_candidate(app->pc, init);
		if (res < 0 && res != -ENOTSUP && res != -EINVAL)
			on_error(app, res, "add_remote_candidate failed");
	} else if (strcmp(type, "send-rtp") == 0) {
		alto_rtc_json_get_int(line, len, "count", &number);
		app->to_send = number > 0 && number < 100000 ? (int)number : 1;
		if (app->send_timer == NULL) {
			app->send_timer = g_timeout_source_new(20);
			g_source_set_callback(app->send_timer, send_next, app, NULL);
			g_source_attach(app->send_timer, NULL);
		}
	} else if (strcmp(type, "send-rtcp") == 0) {
		uint8_t rr[8] = { 0x80, 201, 0x00, 0x01 };
		rr[4] = (uint8_t)(app->ssrc >> 24); rr[5] = (uint8_t)(app->ssrc >> 16);
		rr[6] = (uint8_t)(app->ssrc >> 8); rr[7] = (uint8_t)app->ssrc;
		res = alto_pc_send_rtcp(app->pc, rr, sizeof(rr));
		if (res < 0)
			on_error(app, res, "send_rtcp failed");
	} else if (strcmp(type, "restart-ice") == 0) {
		if ((res = alto_pc_restart_ice(app->pc)) < 0) {
			on_error(app, res, "restart_ice failed");
		} else {
			app->restarting = true;
			offer(app);
		}
	} else if (strcmp(type, "close") == 0) {
		g_main_loop_quit(app->loop);
	}
}

/* The end of an ICE restart is no event of the pc: look for it. */
static gboolean watch_restart(gpointer data)
{
	struct app *app = data;
	if (app->restarting && !alto_pc_ice_restart_pending(app->pc)) {
		app->restarting = false;
		emit("{\"type\":\"ice-restart-done\"}");
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_stdin(GIOChannel *channel, GIOCondition condition, gpointer data)
{
	struct app *app = data;
	gchar *line = NULL;
	gsize len = 0;
	GIOStatus status;

	while ((status = g_io_channel_read_line(channel, &line, &len, NULL, NULL)) ==
			G_IO_STATUS_NORMAL) {
		g_strchomp(line);
		if (*line)
			handle_line(app, line, strlen(line));
		g_free(line);
	}
	if (status == G_IO_STATUS_EOF || status == G_IO_STATUS_ERROR) {
		g_main_loop_quit(app->loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	struct app *app = data;
	g_main_loop_quit(app->loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	struct app app = { 0 };
	struct alto_pc_config config = { 0 };
	GPtrArray *addresses = g_ptr_array_new();
	bool make_offer = false, send = false;
	unsigned recv = 0;
	GIOChannel *in;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--offer") == 0)
			make_offer = true;
		else if (strcmp(argv[i], "--send") == 0)
			send = true;
		else if (strcmp(argv[i], "--recv") == 0 && i + 1 < argc)
			recv = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--tamper-fingerprint") == 0)
			app.tamper = true;
		else if (strcmp(argv[i], "--address") == 0 && i + 1 < argc)
			g_ptr_array_add(addresses, argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--offer] [--send] [--recv N] "
					"[--tamper-fingerprint] [--address A]...\n", argv[0]);
			return 2;
		}
	}
	if (addresses->len > 0) {
		config.local_addresses = (const char *const *)addresses->pdata;
		config.n_local_addresses = addresses->len;
	}
	app.loop = g_main_loop_new(NULL, FALSE);
	app.pc = alto_pc_new(NULL, &config, &events, &app);
	if (app.pc == NULL) {
		fprintf(stderr, "alto_pc_new: %s\n", g_strerror(errno));
		return 1;
	}
	if (send && alto_pc_add_local_audio_track(app.pc, "alto-track", "alto-stream", &app.ssrc) < 0)
		return 1;
	if (recv && alto_pc_add_recv_audio(app.pc, recv) < 0)
		return 1;

	in = g_io_channel_unix_new(0);
	g_io_channel_set_flags(in, G_IO_FLAG_NONBLOCK, NULL);
	g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &app);
	g_timeout_add(100, watch_restart, &app);
	g_unix_signal_add(SIGINT, on_signal, &app);
	g_unix_signal_add(SIGTERM, on_signal, &app);

	emit("{\"type\":\"ready\",\"fingerprint\":\"%s\",\"ssrc\":%u}",
			alto_pc_local_fingerprint(app.pc), app.ssrc);
	if (make_offer)
		offer(&app);
	g_main_loop_run(app.loop);

	if (app.send_timer) {
		g_source_destroy(app.send_timer);
		g_source_unref(app.send_timer);
	}
	alto_pc_destroy(app.pc);
	g_io_channel_unref(in);
	g_main_loop_unref(app.loop);
	g_ptr_array_free(addresses, TRUE);
	return app.exit_code;
}
