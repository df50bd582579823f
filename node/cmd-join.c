/* `alto join`: join a LiveKit room, play it into the PipeWire graph and
 * follow it, one line per event.
 *
 * The room session (room-session.h) does the work: every remote audio track
 * becomes a playback stream linked to the room mixer, whose outputs go to
 * the default sink (or --target). This file owns the PipeWire main loop
 * (pw_main_loop on the main thread: graph events, signals) and prints the
 * events: signaling ones from the session's network thread (the observer),
 * graph ones from the main loop. Without a reachable PipeWire daemon, or
 * with --no-audio, alto follows the room without media (signaling only).
 * SIGINT/SIGTERM: leave{CLIENT_INITIATED} is sent, the socket closed, exit 0;
 * a second signal exits at once. */
#include "cli.h"
#include "join-output.h"

#include <errno.h>
#include <stdatomic.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <pipewire/pipewire.h>

#include "alto-signal.h"
#include "alto-token.h"
#include "room-session.h"

#define JOIN_TOKEN_VALID_FOR (24 * 3600)

/* Fields written by the observer (network thread) are read by the main
 * thread only after `ended`, which reaches it through the session's
 * mutex-protected hand-off. */
struct join {
	struct pw_main_loop *loop;
	struct alto_room_session *session;
	struct join_output out;
	int verbose;
	bool ever_joined;		/* network thread */
	bool leaving;			/* network thread (output) */
	bool signalled;			/* main thread */
	atomic_bool media_failed;	/* set on the main thread, read by the observer */
	int exit_code;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: alto join [URL] --room R --identity I [OPTIONS]\n"
		"\n"
		"Joins room R on the LiveKit server at URL (default: LIVEKIT_URL, else ws://localhost:7880),\n"
		"plays every remote participant into the PipeWire graph (one stream each, mixed by the\n"
		"room mixer \"LiveKit: R\" into the default sink) and prints one line per event: joined,\n"
		"participant_joined, participant_left, participant_updated, track_published,\n"
		"track_unpublished, track_muted, track_unmuted, speakers, quality, room_mixer,\n"
		"mixer_output, participant_stream_added, participant_stream_removed, error,\n"
		"reconnecting, reconnected, left. Ctrl-C leaves the room.\n"
		"\n"
		"  -r, --room R            room to join (with --token: must match the token's room)\n"
		"  -i, --identity I        participant identity (with --token: must match)\n"
		"  -n, --name N            display name (for a minted token)\n"
		"  -t, --token T           a ready access token (also LIVEKIT_TOKEN); else one is minted\n"
		"      --api-key K         API key (default: LIVEKIT_API_KEY)\n"
		"      --api-secret-file F file holding the API secret (default: LIVEKIT_API_SECRET)\n"
		"      --json              one JSON object per line, with an \"event\" field\n"
		"      --max-retries N     give up (exit 3) after N failed connection attempts in a row\n"
		"                          (default: retry forever, at most ~1.2 s apart)\n"
		"      --insecure          wss: accept any server certificate\n"
		"      --legacy            use the legacy two-PeerConnection endpoint /rtc only\n"
		"      --no-auto-subscribe do not subscribe to tracks automatically\n"
		"      --no-audio          follow the room only: no media, nothing in the PipeWire graph\n"
		"      --target NODE       link the room mixer to NODE (node.name or id) instead of the\n"
		"                          default sink\n"
		"      --latency MS        jitter buffer target floor in ms (default: adaptive from 20)\n"
		"      --no-nack           never ask the server to retransmit lost packets (generic NACK:\n"
		"                          on by default where the server offers it; retransmissions can\n"
		"                          raise the jitter buffer's delay when packets get lost)\n"
		"      --stats S           a stream_stats line per participant every S seconds (packets,\n"
		"                          loss, buffer, drift rate, receive latency)\n"
		"      --no-publish        listen only: no send stream, nothing published\n"
		"      --mute              publish the microphone muted (unmute the send stream in\n"
		"                          pavucontrol or with pactl set-source-output-mute)\n"
		"      --source NODE       link NODE (node.name or id) into the send stream instead of\n"
		"                          leaving it to the session manager (default source)\n"
		"      --bitrate BPS       Opus bit rate of the microphone (default 32000)\n"
		"  -v, --verbose           diagnostics on stderr (twice: more)\n"
		"  -h, --help\n"
		"\n"
		"Exit codes: 0 left, 1 usage, 2 access refused, 3 cannot connect after --max-retries,\n"
		"4 removed by the server, 5 request refused by the server (not LiveKit?), 6 internal error.\n");
}

/* ------------------------------------------------------------------ events */

/* Nobody reads our events any more (stdout closed: `alto join | head -3`): leave
 * politely instead of talking to nobody. lws ignores SIGPIPE, so this is seen
 * as a write error. */
static void check_output(struct join *j)
{
	if (!ferror(j->out.out) || j->leaving)
		return;
	j->leaving = true;
	alto_room_session_leave(j->session);
}

static void on_joined(void *data, const struct alto_join_info *info)
{
	struct join *j = data;

	j->ever_joined = true;
	join_output_joined(&j->out, info);
	check_output(j);
}

static void on_resumed(void *data, const struct alto_resume_info *info)
{
	struct join *j = data;
	struct alto_signal_client *client = alto_room_session_signal_client(j->session);
	const struct alto_participant_info *const *list;
	size_t n = alto_signal_client_get_participants(client, &list);

	join_output_resumed(&j->out, alto_signal_client_get_room(client), list, n);
	check_output(j);
}

static void on_reconnecting(void *data, const struct alto_reconnect_status *st)
{
	struct join *j = data;

	join_output_reconnecting(&j->out, st, j->ever_joined);
	check_output(j);
}

static int exit_code_for(const struct alto_left_info *info)
{
	switch (info->end) {
	case ALTO_SIGNAL_END_CLIENT: return ALTO_EXIT_OK;
	case ALTO_SIGNAL_END_REMOVED: return ALTO_EXIT_REMOVED;
	case ALTO_SIGNAL_END_UNAUTHORIZED: return ALTO_EXIT_AUTH;
	case ALTO_SIGNAL_END_REFUSED: return ALTO_EXIT_REFUSED;
	case ALTO_SIGNAL_END_UNREACHABLE: return ALTO_EXIT_UNREACHABLE;
	default: return ALTO_EXIT_INTERNAL;
	}
}

static void on_left(void *data, const struct alto_left_info *info)
{
	struct join *j = data;

	j->exit_code = exit_code_for(info);
	/* we left because the PipeWire daemon went away: that is an error */
	if (j->exit_code == ALTO_EXIT_OK && atomic_load(&j->media_failed))
		j->exit_code = ALTO_EXIT_INTERNAL;
	join_output_left(&j->out, info, j->exit_code);
	if (j->exit_code != ALTO_EXIT_OK && !atomic_load(&j->media_failed))
		alto_errorf("%s", info->message);
	/* the session tells the main loop (`ended`) */
}

static void on_participant_joined(void *data, const struct alto_participant_info *p)
{
	join_output_participant(&((struct join *)data)->out, "participant_joined", p);
	check_output(data);
}

static void on_participant_updated(void *data, const struct alto_participant_info *p)
{
	join_output_participant(&((struct join *)data)->out, "participant_updated", p);
	check_output(data);
}

static void on_participant_left(void *data, const struct alto_participant_info *p)
{
	join_output_participant(&((struct join *)data)->out, "participant_left", p);
	check_output(data);
}

static void on_track_published(void *data, const struct alto_participant_info *p, const struct alto_track_info *t)
{
	join_output_track(&((struct join *)data)->out, "track_published", p, t);
	check_output(data);
}

static void on_track_unpublished(void *data, const struct alto_participant_info *p, const struct alto_track_info *t)
{
	join_output_track(&((struct join *)data)->out, "track_unpublished", p, t);
	check_output(data);
}

static void on_track_muted(void *data, const struct alto_participant_info *p, const struct alto_track_info *t)
{
	join_output_track(&((struct join *)data)->out, t->muted ? "track_muted" : "track_unmuted", p, t);
	check_output(data);
}

static void on_speakers(void *data, const struct alto_speaker *s, size_t n)
{
	join_output_speakers(&((struct join *)data)->out, s, n);
	check_output(data);
}

static void on_quality(void *data, const struct alto_quality_update *q, size_t n)
{
	join_output_quality(&((struct join *)data)->out, q, n);
	check_output(data);
}

static void on_rtt(void *data, uint32_t rtt_ms)
{
	struct join *j = data;

	if (j->verbose >= 2)
		fprintf(stderr, "%s: signal round trip %u ms\n", alto_prog, rtt_ms);
}

static const struct alto_signal_events observer_events = {
	.version = ALTO_VERSION_SIGNAL_EVENTS,
	.joined = on_joined,
	.resumed = on_resumed,
	.reconnecting = on_reconnecting,
	.left = on_left,
	.participant_joined = on_participant_joined,
	.participant_updated = on_participant_updated,
	.participant_left = on_participant_left,
	.track_published = on_track_published,
	.track_unpublished = on_track_unpublished,
	.track_muted = on_track_muted,
	.speakers = on_speakers,
	.quality = on_quality,
	.rtt = on_rtt,
};

/* ------------------------------------------------------------------ room session events (main loop) */

static void on_mixer_ready(void *data, const char *node_name, uint32_t node_id)
{
	join_output_mixer(&((struct join *)data)->out, node_name, node_id);
}

static void on_output_linked(void *data, const char *target_name, uint32_t target_id)
{
	join_output_output_linked(&((struct join *)data)->out, target_name, target_id);
}

static void on_stream_added(void *data, const struct alto_participant_stream_info *info)
{
	join_output_stream(&((struct join *)data)->out, "participant_stream_added", info);
}

static void on_stream_removed(void *data, const struct alto_participant_stream_info *info)
{
	join_output_stream(&((struct join *)data)->out, "participant_stream_removed", info);
}

static void on_stream_stats(void *data, const struct alto_participant_stream_info *info,
			    const struct alto_participant_stream_stats *stats)
{
	join_output_stats(&((struct join *)data)->out, info, stats);
}

static void on_session_error(void *data, int res, const char *message)
{
	struct join *j = data;

	join_output_error(&j->out, res, message);
	if (j->verbose)
		alto_errorf("%s", message);
	if (res == -EPIPE && !atomic_load(&j->media_failed)) {
		/* the graph is gone: nothing left to play into */
		atomic_store(&j->media_failed, true);
		alto_errorf("%s: leaving the room", message);
		alto_room_session_leave(j->session);
	}
}

static void on_send_stream_added(void *data, const char *node_name, uint32_t node_id)
{
	join_output_send_stream(&((struct join *)data)->out, node_name, node_id);
}

static void on_published(void *data, const char *track_sid)
{
	join_output_published(&((struct join *)data)->out, track_sid);
}

static void on_send_muted(void *data, bool muted, bool from_server)
{
	join_output_send_muted(&((struct join *)data)->out, muted, from_server);
}

/* listen only, a refused track: said once, also without -v */
static void on_send_problem(void *data, int res, const char *message)
{
	struct join *j = data;

	join_output_error(&j->out, res, message);
	alto_errorf("%s", message);
}

static void on_ended(void *data)
{
	pw_main_loop_quit(((struct join *)data)->loop);
}

static const struct alto_room_session_events session_events = {
	.version = ALTO_VERSION_ROOM_SESSION_EVENTS,
	.mixer_ready = on_mixer_ready,
	.output_linked = on_output_linked,
	.stream_added = on_stream_added,
	.stream_removed = on_stream_removed,
	.stream_stats = on_stream_stats,
	.error = on_session_error,
	.send_stream_added = on_send_stream_added,
	.published = on_published,
	.send_muted = on_send_muted,
	.send_problem = on_send_problem,
	.ended = on_ended,
};

/* ------------------------------------------------------------------ signals, logs */

/* main loop thread (signalfd source) */
static void on_signal(void *data, int signal_number)
{
	struct join *j = data;

	if (j->signalled) {
		/* a second Ctrl-C: do not wait for the server */
		j->exit_code = ALTO_EXIT_OK;
		pw_main_loop_quit(j->loop);
		return;
	}
	j->signalled = true;
	alto_room_session_leave(j->session);
}

/* any thread (GLib serialises handler calls) */
static void log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
	const struct join *j = data;
	int need = (level & G_LOG_LEVEL_DEBUG) ? 2 : (level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_MESSAGE)) ? 1 : 0;

	if (j->verbose < need)
		return;
	fprintf(stderr, "%s: [%s] %s\n", alto_prog, domain ? domain : "", message);
}

/* ------------------------------------------------------------------ token */

/* A given token must be for the room and identity asked for (when asked). */
static int check_token(const char *token, const char *room, const char *identity)
{
	struct alto_token_claims c;
	int res = 0;

	if (alto_token_decode(token, &c) < 0) {
		alto_errorf("the access token is not a JWT");
		return ALTO_EXIT_AUTH;
	}
	if (!c.has_video || !c.room_join) {
		alto_errorf("the access token does not grant joining a room (video.roomJoin)");
		res = ALTO_EXIT_AUTH;
	} else if (room && c.room && strcmp(room, c.room) != 0) {
		alto_errorf("the access token is for another room than --room (it grants room \"%s\")", c.room);
		res = ALTO_EXIT_AUTH;
	} else if (identity && c.identity && strcmp(identity, c.identity) != 0) {
		alto_errorf("the access token is for another identity than --identity");
		res = ALTO_EXIT_AUTH;
	} else if (c.exp != 0 && c.exp + ALTO_TOKEN_LEEWAY_S < (int64_t)time(NULL)) {
		alto_errorf("the access token has expired");
		res = ALTO_EXIT_AUTH;
	}
	alto_token_claims_clear(&c);
	return res;
}

/* The room a given token grants (for naming the graph objects). */
static char *room_of_token(const char *token)
{
	struct alto_token_claims c;
	char *room = NULL;

	if (alto_token_decode(token, &c) == 0) {
		room = g_strdup(c.room);
		alto_token_claims_clear(&c);
	}
	return room;
}

/* ------------------------------------------------------------------ main */

int alto_cmd_join(int argc, char **argv)
{
	enum { OPT_API_KEY = 256, OPT_SECRET_FILE, OPT_JSON, OPT_MAX_RETRIES, OPT_INSECURE, OPT_LEGACY,
	       OPT_NO_AUTO_SUBSCRIBE, OPT_URL, OPT_NO_AUDIO, OPT_TARGET, OPT_LATENCY, OPT_STATS,
	       OPT_NO_PUBLISH, OPT_MUTE, OPT_SOURCE, OPT_BITRATE, OPT_NO_NACK };
	static const struct option options[] = {
		{ "room", required_argument, NULL, 'r' },
		{ "identity", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "token", required_argument, NULL, 't' },
		{ "api-key", required_argument, NULL, OPT_API_KEY },
		{ "api-secret-file", required_argument, NULL, OPT_SECRET_FILE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "max-retries", required_argument, NULL, OPT_MAX_RETRIES },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "legacy", no_argument, NULL, OPT_LEGACY },
		{ "no-auto-subscribe", no_argument, NULL, OPT_NO_AUTO_SUBSCRIBE },
		{ "url", required_argument, NULL, OPT_URL },
		{ "no-audio", no_argument, NULL, OPT_NO_AUDIO },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "latency", required_argument, NULL, OPT_LATENCY },
		{ "no-nack", no_argument, NULL, OPT_NO_NACK },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "no-publish", no_argument, NULL, OPT_NO_PUBLISH },
		{ "mute", no_argument, NULL, OPT_MUTE },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "bitrate", required_argument, NULL, OPT_BITRATE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *room = NULL, *identity = NULL, *name = NULL, *token_arg = NULL, *api_key = NULL;
	const char *secret_file = NULL, *url = NULL;
	struct alto_room_session_config cfg = { .max_retries = -1 };
	struct alto_credentials cred;
	struct join j = { .out = { .json = false, .out = stdout }, .exit_code = ALTO_EXIT_INTERNAL };
	struct pw_context *context = NULL;
	struct pw_core *core = NULL;
	struct spa_source *sigint, *sigterm;
	char *token = NULL, *token_room = NULL;
	bool no_audio = false;
	int c, res;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:i:n:t:vh", options, NULL)) != -1) {
		switch (c) {
		case 'r': room = optarg; break;
		case 'i': identity = optarg; break;
		case 'n': name = optarg; break;
		case 't': token_arg = optarg; break;
		case OPT_API_KEY: api_key = optarg; break;
		case OPT_SECRET_FILE: secret_file = optarg; break;
		case OPT_JSON: j.out.json = true; break;
		case OPT_MAX_RETRIES: {
			char *end = NULL;
			long v;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > 1000000) {
				alto_errorf("--max-retries: '%s' is not a number of retries (0 or more)", optarg);
				return ALTO_EXIT_USAGE;
			}
			cfg.max_retries = (int)v;
			break;
		}
		case OPT_INSECURE: cfg.insecure = true; break;
		case OPT_LEGACY: cfg.mode = ALTO_SIGNAL_MODE_LEGACY; break;
		case OPT_NO_AUTO_SUBSCRIBE: cfg.no_auto_subscribe = true; break;
		case OPT_URL: url = optarg; break;
		case OPT_NO_AUDIO: no_audio = true; break;
		case OPT_TARGET: cfg.target = optarg; break;
		case OPT_NO_NACK: cfg.no_nack = true; break;
		case OPT_NO_PUBLISH: cfg.no_publish = true; break;
		case OPT_MUTE: cfg.start_muted = true; break;
		case OPT_SOURCE: cfg.source = optarg; break;
		case OPT_BITRATE: {
			char *end = NULL;
			long v;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 6000 || v > 510000) {
				alto_errorf("--bitrate: '%s' is not an Opus bit rate (6000 to 510000 bit/s)", optarg);
				return ALTO_EXIT_USAGE;
			}
			cfg.bitrate = (int)v;
			break;
		}
		case OPT_STATS: {
			char *end = NULL;
			double v;
			errno = 0;
			v = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(v >= 0.1 && v <= 3600)) {
				alto_errorf("--stats: '%s' is not a number of seconds (0.1 to 3600)", optarg);
				return ALTO_EXIT_USAGE;
			}
			cfg.stats_interval_ms = (uint32_t)(v * 1000.0 + 0.5);
			break;
		}
		case OPT_LATENCY: {
			char *end = NULL;
			long v;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > 2000) {
				alto_errorf("--latency: '%s' is not a number of milliseconds (0 to 2000)", optarg);
				return ALTO_EXIT_USAGE;
			}
			cfg.latency_ms = (uint32_t)v;
			break;
		}
		case 'v': j.verbose++; break;
		case 'h': usage(stdout); return ALTO_EXIT_OK;
		default: usage(stderr); return ALTO_EXIT_USAGE;
		}
	}
	if (optind < argc)
		url = argv[optind++];
	if (optind < argc) {
		alto_errorf("join: unexpected argument '%s'", argv[optind]);
		return ALTO_EXIT_USAGE;
	}
	if ((res = alto_credentials_resolve(&cred, url, api_key, secret_file, token_arg, true)) != 0)
		return res;

	if (cred.token) {
		if ((res = check_token(cred.token, room, identity)) != 0) {
			alto_credentials_clear(&cred);
			return res;
		}
		token = g_strdup(cred.token);
		token_room = room_of_token(token);
	} else {
		struct alto_token_grants g = {
			.identity = identity, .name = name, .room = room, .room_join = true,
			.can_publish = true, .can_subscribe = true, .can_publish_data = true,
		};
		char *minted = NULL;
		if (room == NULL || room[0] == '\0' || identity == NULL || identity[0] == '\0') {
			alto_errorf("join: --room and --identity are required (or a token that names them)");
			alto_credentials_clear(&cred);
			return ALTO_EXIT_USAGE;
		}
		if (cred.dev_defaults && j.verbose)
			alto_errorf("no credentials given: using the dev server's key 'devkey' (loopback URL)");
		res = alto_token_mint(cred.api_key, cred.api_secret, &g, (int64_t)time(NULL), JOIN_TOKEN_VALID_FOR, &minted);
		if (res < 0) {
			alto_errorf("join: cannot mint an access token (%s)", g_strerror(-res));
			alto_credentials_clear(&cred);
			return ALTO_EXIT_INTERNAL;
		}
		token = g_strdup(minted);
		memset(minted, 0, strlen(minted));
		free(minted);
	}

	/* events must reach a reader line by line; a reader that goes away is a
	 * write error (check_output), not a SIGPIPE death without leave */
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	g_log_set_handler("alto-signal", G_LOG_LEVEL_MASK, log_handler, &j);
	g_log_set_handler("alto-room", G_LOG_LEVEL_MASK, log_handler, &j);
	g_log_set_handler("alto-send", G_LOG_LEVEL_MASK, log_handler, &j);
	g_log_set_handler("alto.rtc.pc", G_LOG_LEVEL_MASK, log_handler, &j);
	g_log_set_handler("alto.rtc.ice", G_LOG_LEVEL_MASK, log_handler, &j);
	g_log_set_handler("alto.rtc.dtls", G_LOG_LEVEL_MASK, log_handler, &j);

	pw_init(NULL, NULL);
	j.loop = pw_main_loop_new(NULL);
	if (j.loop == NULL) {
		alto_errorf("cannot create the PipeWire main loop: %s", g_strerror(errno));
		goto out_token;
	}
	/* signals are blocked (signalfd) before the network thread exists, so
	 * that it inherits the mask and SIGINT always reaches this loop */
	sigint = pw_loop_add_signal(pw_main_loop_get_loop(j.loop), SIGINT, on_signal, &j);
	sigterm = pw_loop_add_signal(pw_main_loop_get_loop(j.loop), SIGTERM, on_signal, &j);

	if (!no_audio) {
		context = pw_context_new(pw_main_loop_get_loop(j.loop),
				pw_properties_new(PW_KEY_APP_NAME, "alto", NULL), 0);
		if (context)
			core = pw_context_connect(context, NULL, 0);
		if (core == NULL && j.verbose)
			alto_errorf("no PipeWire daemon (%s): following the room without audio",
				    g_strerror(errno));
	}
	j.out.audio = core != NULL;

	cfg.url = cred.url;
	cfg.token = token;
	cfg.room = room ? room : token_room;
	cfg.observer = &observer_events;
	cfg.observer_data = &j;
	j.session = alto_room_session_new(pw_main_loop_get_loop(j.loop), context, core, &cfg,
					  &session_events, &j);
	memset(token, 0, strlen(token));
	if (j.session == NULL) {
		alto_errorf("cannot start the room session: %s%s", g_strerror(errno),
			    errno == ENOENT ? " (is SPA_PLUGIN_DIR set? the room mixer plugin was not found)" : "");
		j.exit_code = ALTO_EXIT_INTERNAL;
		goto out_pw;
	}
	alto_credentials_clear(&cred);

	pw_main_loop_run(j.loop);

	alto_room_session_destroy(j.session);
out_pw:
	if (core)
		pw_core_disconnect(core);
	if (context)
		pw_context_destroy(context);
	pw_loop_destroy_source(pw_main_loop_get_loop(j.loop), sigint);
	pw_loop_destroy_source(pw_main_loop_get_loop(j.loop), sigterm);
	pw_main_loop_destroy(j.loop);
out_token:
	alto_credentials_clear(&cred);
	memset(token, 0, strlen(token));
	g_free(token);
	g_free(token_room);
	pw_deinit();
	return j.exit_code;
}
