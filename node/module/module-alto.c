/* libpipewire-module-alto: one LiveKit room as part of the PipeWire graph.
 *
 * The room session of `alto join` (node/room-session.h), hosted by PipeWire:
 * loaded into the daemon from a pipewire.conf.d drop-in, into a process of
 * its own (`pipewire -c alto-livekit.conf`), or into any PipeWire client
 * that loads modules. This file only turns the module args into
 * a session config and a token, and ties the session's life to the module's.
 *
 * Threads: pipewire__module_init, every session event and the module and
 * core listeners run on the context's main loop. The observer callbacks run
 * on the session's network thread: they only log, and note why the session
 * ended (read on the main loop after `ended`, which reaches it through the
 * session's mutex-protected hand-off). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <spa/utils/json.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>
#include <pipewire/impl.h>
#include <pipewire/pipewire.h>

#include "alto-signal.h"
#include "alto-token.h"
#include "alto-url.h"
#include "module-args.h"
#include "room-session.h"

/** \page page_module_alto PipeWire Module: alto (LiveKit room)
 *
 * The `alto` module joins a LiveKit room and makes it part of the graph:
 * each remote participant is a playback stream of its own (node.name
 * "alto.<room>.<identity>", node.description the display name), mixed by
 * the room node "LiveKit: <room>" (factory alto.mixer, Audio/Sink) into the
 * default sink; the send stream publishes what it captures to the room.
 * Each instance is one room; load it twice for two rooms (or twice for one
 * room under two identities: the second names its nodes alto.<room>@<identity>).
 *
 * ## Module Options
 *
 * - `url = <str>`: the LiveKit server, ws:// wss:// http:// https://
 *   (quote it). Default "ws://localhost:7880".
 * - `room = <str>`: the room (required unless the token names it).
 * - `identity = <str>`: your identity (required unless the token names it).
 * - `name = <str>`: your display name, for a minted token.
 * - `api.key = <str>`, `api.secret.file = <path>`: mint a token (24 h,
 *   refreshed by the server) with this key and the secret in this file,
 *   which must be private (mode 0600); a file others can access is refused.
 * - `token = <str>`: a ready token instead (readable by any client of the
 *   daemon in the module's args: prefer the key and secret file). With no
 *   credentials and a loopback URL, the dev server's devkey/secret is used.
 * - `publish = <bool>`: publish the send stream. Default true.
 * - `nack = <bool>`: ask the server to send lost packets again (generic
 *   NACK, when it offers it). Default true; false trades the repairs for
 *   a jitter buffer that need not wait for them (as `alto join --no-nack`).
 * - `source = <str>`: capture the send stream from this node (name or id).
 * - `target = <str>`: link the room mixer to this node instead of the
 *   default sink.
 * - `latency.msec = <int>`: jitter buffer target floor, 0 to 2000.
 *   Default 0: adaptive from 20 ms.
 * - `stream.props = {}`: properties of the room node (the mixer).
 * - `participant.props = {}`: properties of every participant stream.
 * - `send.props = {}`: properties of the send stream.
 * - `insecure = <bool>`: wss: accept any server certificate.
 * - `max.retries = <int>`: give up (and unload) after this many failed
 *   connection attempts in a row. Default -1: retry forever.
 * - `remote.name = <str>`: the daemon to connect to (a client process).
 *
 * Bad or missing options make the module fail to load, with the reason in
 * the log; the host process goes on. When the session ends for good (the
 * token is refused, the server removes us, max.retries) the module logs why
 * and unloads itself.
 *
 * ## Example configuration
 *\code{.unparsed}
 * # ~/.config/pipewire/pipewire.conf.d/alto-standup.conf
 * context.modules = [
 * {   name = libpipewire-module-alto
 *     args = {
 *         url = "wss://livekit.example.org"
 *         room = "standup"
 *         identity = "alice"
 *         name = "Alice"
 *         api.key = "APIxxxxxxxxxxxx"
 *         api.secret.file = "/home/alice/.config/alto/livekit.secret"
 *         #publish = true
 *         #nack = true
 *         #source = "alsa_input.usb-mic"
 *         #target = "alsa_output.headset"
 *         #latency.msec = 0
 *         #stream.props = { node.description = "Standup" }
 *         #participant.props = { }
 *     }
 *     flags = [ nofail ]
 * }
 * ]
 *\endcode
 */

#define NAME "alto"

PW_LOG_TOPIC_STATIC(mod_topic, "mod." NAME);
#define PW_LOG_TOPIC_DEFAULT mod_topic

#ifndef ALTO_VERSION
#define ALTO_VERSION "0.1.0"
#endif

#define DEFAULT_URL		"ws://localhost:7880"
#define DEV_API_KEY		"devkey"
#define DEV_API_SECRET		"secret"
#define TOKEN_VALID_FOR		(24 * 3600)
#define MAX_SECRET_FILE		4096
#define MAX_LATENCY_MSEC	2000

#define USAGE	"url=<LiveKit server, default " DEFAULT_URL "> "				\
		"room=<room> "									\
		"identity=<participant identity> "						\
		"( api.key=<API key> api.secret.file=<file of mode 0600> | token=<token> ) "	\
		"[ name=<display name> ] "							\
		"[ publish=<bool, default true> ] "						\
		"[ nack=<bool, default true> ] "						\
		"[ source=<node to capture from> ] "						\
		"[ target=<node to play the room into> ] "					\
		"[ latency.msec=<jitter buffer floor, 0: adaptive> ] "				\
		"[ stream.props={ room node properties } ] "					\
		"[ participant.props={ participant stream properties } ] "			\
		"[ send.props={ send stream properties } ] "					\
		"[ insecure=<bool> ] [ max.retries=<int> ] [ remote.name=<daemon> ]"

static const struct spa_dict_item module_info[] = {
	{ PW_KEY_MODULE_AUTHOR, "the alto authors" },
	{ PW_KEY_MODULE_DESCRIPTION, "Join a LiveKit room: one stream per participant, a room mixer, "
				     "the microphone published" },
	{ PW_KEY_MODULE_USAGE, USAGE },
	{ PW_KEY_MODULE_VERSION, ALTO_VERSION },
};

static const char *const known_args[] = {
	"url", "room", "identity", "name", "token", "api.key", "api.secret.file",
	"publish", "nack", "source", "target", "latency.msec",
	"stream.props", "participant.props", "send.props",
	"insecure", "max.retries", "remote.name",
	NULL,
};

struct impl {
	struct pw_context *context;
	struct spa_hook context_listener;
	bool context_listening;
	struct pw_loop *main_loop;
	struct pw_impl_module *module;
	struct spa_hook module_listener;

	struct pw_properties *args;
	struct pw_properties *stream_props;
	struct pw_properties *participant_props;
	struct pw_properties *send_props;

	struct pw_core *core;
	struct spa_hook core_listener;
	struct spa_hook core_proxy_listener;
	bool do_disconnect;

	struct alto_room_session *session;
	char *room;			/* for log lines: the room joined */
	char *identity;

	/* network thread (observer); read on the main loop after `ended` */
	char *end_message;
	bool joined_once;
	bool no_nack;			/* nack = false: said once joined */

	bool unloading;			/* main loop: destroy is scheduled */
};

/* ------------------------------------------------------------------ credentials */

/* The API secret from a file only its owner can access. NULL after a log line. */
static char *read_secret_file(const char *path)
{
	char buf[MAX_SECRET_FILE + 1], *start, *end, *secret;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		pw_log_error("cannot read the API secret file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		pw_log_error("the API secret file %s is not a regular file", path);
		goto error;
	}
	/* A secret others can read is no secret: refuse it as ssh refuses a
	 * key file, and as `alto join --api-secret-file` does. */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		pw_log_error("the API secret file %s is accessible by other users (mode %04o): "
			     "make it private with `chmod 600 %s`", path, (unsigned)(st.st_mode & 07777), path);
		goto error;
	}
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pw_log_error("cannot read the API secret file %s: %s", path, strerror(errno));
			goto error;
		}
		len += (size_t)n;
	}
	close(fd);
	fd = -1;
	if (len > MAX_SECRET_FILE || memchr(buf, '\0', len) != NULL) {
		pw_log_error("the API secret file %s does not look like a secret (binary or too large)", path);
		goto error;
	}
	buf[len] = '\0';
	for (start = buf; *start == ' ' || *start == '\t' || *start == '\n' || *start == '\r'; start++)
		;
	for (end = buf + len; end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
					      end[-1] == '\r'); end--)
		;
	*end = '\0';
	if (*start == '\0') {
		pw_log_error("the API secret file %s is empty", path);
		goto error;
	}
	secret = strdup(start);
	explicit_bzero(buf, sizeof(buf));
	return secret;

error:
	explicit_bzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* A given token must be a join token for the room and identity asked for.
 * Fills in room/identity from it where the args left them out. */
static int check_token(struct impl *impl, const char *token)
{
	struct alto_token_claims c;
	int res = 0;

	if (alto_token_decode(token, &c) < 0) {
		pw_log_error("token: not an access token (JWT)");
		return -EINVAL;
	}
	if (!c.has_video || !c.room_join) {
		pw_log_error("token: it does not grant joining a room (video.roomJoin)");
		res = -EACCES;
	} else if (impl->room && c.room && strcmp(impl->room, c.room) != 0) {
		pw_log_error("token: it is for another room than room = \"%s\"", impl->room);
		res = -EACCES;
	} else if (impl->identity && c.identity && strcmp(impl->identity, c.identity) != 0) {
		pw_log_error("token: it is for another identity than identity = \"%s\"", impl->identity);
		res = -EACCES;
	} else if (c.exp != 0 && c.exp + ALTO_TOKEN_LEEWAY_S < (int64_t)time(NULL)) {
		pw_log_error("token: it has expired");
		res = -EACCES;
	} else {
		if (impl->room == NULL && c.room)
			impl->room = strdup(c.room);
		if (impl->identity == NULL && c.identity)
			impl->identity = strdup(c.identity);
	}
	alto_token_claims_clear(&c);
	return res;
}

/* The token to join with: given, or minted from api.key + api.secret.file,
 * or (loopback URL only) from the dev server's key. NULL after a log line. */
static char *make_token(struct impl *impl, const struct alto_url *url)
{
	const char *token = pw_properties_get(impl->args, "token");
	const char *key = pw_properties_get(impl->args, "api.key");
	const char *secret_file = pw_properties_get(impl->args, "api.secret.file");
	char *secret = NULL, *minted = NULL;
	int res;

	if (token && *token) {
		if (key || secret_file) {
			pw_log_error("give either token or api.key + api.secret.file, not both");
			return NULL;
		}
		if (check_token(impl, token) < 0)
			return NULL;
		return strdup(token);
	}
	if ((key && *key) != (secret_file && *secret_file)) {
		pw_log_error("%s", key && *key ? "api.key without api.secret.file (the file holding its secret)"
					       : "api.secret.file without api.key");
		return NULL;
	}
	if (key && *key) {
		if ((secret = read_secret_file(secret_file)) == NULL)
			return NULL;
	} else if (alto_url_is_loopback(url)) {
		pw_log_warn("no credentials given: using the dev server's key '%s' (loopback URL)", DEV_API_KEY);
		key = DEV_API_KEY;
		secret = strdup(DEV_API_SECRET);
	} else {
		pw_log_error("no credentials: set api.key and api.secret.file (or token)");
		return NULL;
	}
	if (impl->room == NULL || impl->identity == NULL) {
		pw_log_error("%s is required to mint a token", impl->room == NULL ? "room" : "identity");
		free_secret(secret);
		return NULL;
	}
	{
		struct alto_token_grants g = {
			.identity = impl->identity,
			.name = pw_properties_get(impl->args, "name"),
			.room = impl->room,
			.room_join = true, .can_publish = true, .can_subscribe = true, .can_publish_data = true,
		};
		res = alto_token_mint(key, secret, &g, (int64_t)time(NULL), TOKEN_VALID_FOR, &minted);
	}
	free_secret(secret);
	if (res < 0) {
		pw_log_error("cannot mint an access token: %s", spa_strerror(res));
		return NULL;
	}
	return minted;
}

/* ------------------------------------------------------------------ observer (network thread) */

static void on_joined(void *data, const struct alto_join_info *info)
{
	struct impl *impl = data;

	impl->joined_once = true;
	pw_log_info("%s: joined room \"%s\" as \"%s\" (%zu others there)%s", impl->room,
		    info->room && info->room->name ? info->room->name : impl->room,
		    info->self && info->self->identity ? info->self->identity : impl->identity,
		    info->n_participants,
		    impl->no_nack ? "; lost packets are not asked for again (nack = false)" : "");
}

static void on_reconnecting(void *data, const struct alto_reconnect_status *st)
{
	struct impl *impl = data;

	/* every attempt would flood the log during an outage */
	if (st->attempt == 1 || st->attempt % 20 == 0)
		pw_log_warn("%s: reconnecting (attempt %u, %s): %s", impl->room, st->attempt,
			    st->full ? "full rejoin" : "resume", st->reason ? st->reason : "");
}

static void on_resumed(void *data, const struct alto_resume_info *info)
{
	pw_log_info("%s: reconnected", ((struct impl *)data)->room);
}

static void on_left(void *data, const struct alto_left_info *info)
{
	struct impl *impl = data;

	free(impl->end_message);
	impl->end_message = strdup(info->message ? info->message : "left the room");
	if (info->end == ALTO_SIGNAL_END_CLIENT)
		pw_log_info("%s: left the room", impl->room);
	else
		pw_log_error("%s: %s", impl->room, info->message ? info->message : "the session ended");
}

static void on_participant_joined(void *data, const struct alto_participant_info *p)
{
	pw_log_info("%s: %s joined", ((struct impl *)data)->room, p->identity);
}

static void on_participant_left(void *data, const struct alto_participant_info *p)
{
	pw_log_info("%s: %s left", ((struct impl *)data)->room, p->identity);
}

static const struct alto_signal_events observer_events = {
	.version = ALTO_VERSION_SIGNAL_EVENTS,
	.joined = on_joined,
	.resumed = on_resumed,
	.reconnecting = on_reconnecting,
	.left = on_left,
	.participant_joined = on_participant_joined,
	.participant_left = on_participant_left,
};

/* ------------------------------------------------------------------ session events (main loop) */

static void unload(struct impl *impl)
{
	if (impl->unloading)
		return;
	impl->unloading = true;
	pw_impl_module_schedule_destroy(impl->module);
}

static void on_mixer_ready(void *data, const char *node_name, uint32_t node_id)
{
	pw_log_info("%s: room node %s (id %u)", ((struct impl *)data)->room, node_name, node_id);
}

static void on_output_linked(void *data, const char *target_name, uint32_t target_id)
{
	pw_log_info("%s: playing into %s (id %u)", ((struct impl *)data)->room, target_name, target_id);
}

static void on_stream_added(void *data, const struct alto_participant_stream_info *info)
{
	pw_log_info("%s: %s (%s) plays as %s (id %u)", ((struct impl *)data)->room, info->identity,
		    info->name, info->node_name, info->node_id);
}

static void on_stream_removed(void *data, const struct alto_participant_stream_info *info)
{
	pw_log_info("%s: stream %s removed", ((struct impl *)data)->room, info->node_name);
}

static void on_session_error(void *data, int res, const char *message)
{
	struct impl *impl = data;

	pw_log_warn("%s: %s", impl->room, message);
	if (res == -EPIPE) {
		/* the graph is gone: nothing left to play into */
		pw_log_error("%s: lost the PipeWire daemon: unloading", impl->room);
		unload(impl);
	}
}

static void on_ended(void *data)
{
	struct impl *impl = data;

	pw_log_info("%s: session over (%s): unloading the module", impl->room,
		    impl->end_message ? impl->end_message : "ended");
	unload(impl);
}

static const struct alto_room_session_events session_events = {
	.version = ALTO_VERSION_ROOM_SESSION_EVENTS,
	.mixer_ready = on_mixer_ready,
	.output_linked = on_output_linked,
	.stream_added = on_stream_added,
	.stream_removed = on_stream_removed,
	.error = on_session_error,
	.ended = on_ended,
};

/* ------------------------------------------------------------------ module, core */

/* The session, then the core: its streams and mixer live on the core. */
static void impl_stop(struct impl *impl)
{
	if (impl->session) {
		alto_room_session_destroy(impl->session);
		impl->session = NULL;
	}
	if (impl->core) {
		spa_hook_remove(&impl->core_listener);
		spa_hook_remove(&impl->core_proxy_listener);
		if (impl->do_disconnect)
			pw_core_disconnect(impl->core);
		impl->core = NULL;
	}
}

static void impl_destroy(struct impl *impl)
{
	impl_stop(impl);
	if (impl->context_listening)
		spa_hook_remove(&impl->context_listener);
	pw_properties_free(impl->args);
	pw_properties_free(impl->stream_props);
	pw_properties_free(impl->participant_props);
	pw_properties_free(impl->send_props);
	free(impl->room);
	free(impl->identity);
	free(impl->end_message);
	free(impl);
}

static void module_destroy(void *data)
{
	struct impl *impl = data;

	spa_hook_remove(&impl->module_listener);
	impl_destroy(impl);
}

static const struct pw_impl_module_events module_events = {
	PW_VERSION_IMPL_MODULE_EVENTS,
	.destroy = module_destroy,
};

/* The host is shutting down. pw_context_destroy() (0.3.65) disconnects
 * every core and destroys every node BEFORE it destroys the modules: by the
 * time module_destroy runs, the session's streams, exported mixer and links
 * would be gone under it. The context's destroy event comes first of all,
 * while everything is still alive: the session leaves here. */
static void on_context_destroy(void *data)
{
	struct impl *impl = data;

	spa_hook_remove(&impl->context_listener);
	impl->context_listening = false;
	impl_stop(impl);
}

static const struct pw_context_events context_events = {
	PW_VERSION_CONTEXT_EVENTS,
	.destroy = on_context_destroy,
};

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct impl *impl = data;

	if (id == PW_ID_CORE && res == -EPIPE) {
		pw_log_error("%s: the connection to PipeWire is gone: unloading", impl->room);
		unload(impl);
	}
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.error = on_core_error,
};

static void on_core_proxy_destroy(void *data)
{
	struct impl *impl = data;

	/* someone else disconnected our core: the session's graph objects are gone with it */
	spa_hook_remove(&impl->core_listener);
	spa_hook_remove(&impl->core_proxy_listener);
	impl->core = NULL;
	unload(impl);
}

static const struct pw_proxy_events core_proxy_events = {
	PW_VERSION_PROXY_EVENTS,
	.destroy = on_core_proxy_destroy,
};

/* ------------------------------------------------------------------ args */

/* A *.props argument: must be an object; parsed into props. */
static int parse_props_arg(struct impl *impl, const char *key, struct pw_properties **out)
{
	const char *str = pw_properties_get(impl->args, key);
	struct spa_json it;
	const char *value;
	int len;

	*out = pw_properties_new(NULL, NULL);
	if (*out == NULL)
		return -errno;
	if (str == NULL)
		return 0;
	spa_json_init(&it, str, strlen(str));
	if ((len = spa_json_next(&it, &value)) <= 0 || !spa_json_is_object(value, len)) {
		pw_log_error("%s must be an object: %s = { key = value ... }", key, key);
		return -EINVAL;
	}
	pw_properties_update_string(*out, str, strlen(str));
	return 0;
}

static int parse_args(struct impl *impl, const char *args, struct alto_room_session_config *cfg,
		      struct alto_url *url)
{
	const struct spa_dict_item *it;
	const char *str, *why = NULL;
	char reason[256];
	long v;
	int res;

	if ((res = alto_module_args_check(args, reason, sizeof(reason))) < 0) {
		pw_log_error("malformed arguments: %s", reason);
		return res;
	}
	impl->args = pw_properties_new_string(args ? args : "");
	if (impl->args == NULL)
		return -errno;

	spa_dict_for_each(it, &impl->args->dict) {
		bool known = false;
		for (const char *const *k = known_args; *k && !known; k++)
			known = spa_streq(it->key, *k);
		if (!known)
			pw_log_warn("unknown argument '%s' (ignored; see alto(1) for the options)", it->key);
	}

	cfg->url = pw_properties_get(impl->args, "url");
	if (cfg->url == NULL || cfg->url[0] == '\0')
		cfg->url = DEFAULT_URL;
	if (alto_url_parse(cfg->url, url, &why) < 0) {
		pw_log_error("url: \"%s\" is not a LiveKit server URL (%s)%s", cfg->url, why ? why : "invalid",
			     strchr(cfg->url, ':') ? "" : "; a URL must be quoted: url = \"wss://host:7880\"");
		return -EINVAL;
	}
	if ((str = pw_properties_get(impl->args, "room")) != NULL) {
		if (str[0] == '\0') {
			pw_log_error("room is empty");
			return -EINVAL;
		}
		impl->room = strdup(str);
	}
	if ((str = pw_properties_get(impl->args, "identity")) != NULL) {
		if (str[0] == '\0') {
			pw_log_error("identity is empty");
			return -EINVAL;
		}
		impl->identity = strdup(str);
	}
	if ((str = pw_properties_get(impl->args, "publish")) != NULL) {
		bool publish;
		if (alto_module_args_parse_bool(str, &publish) < 0) {
			pw_log_error("publish: \"%s\" is not true or false", str);
			return -EINVAL;
		}
		cfg->no_publish = !publish;
	}
	if ((str = pw_properties_get(impl->args, "nack")) != NULL) {
		bool nack;
		if (alto_module_args_parse_bool(str, &nack) < 0) {
			pw_log_error("nack: \"%s\" is not true or false", str);
			return -EINVAL;
		}
		cfg->no_nack = impl->no_nack = !nack;
	}
	if ((str = pw_properties_get(impl->args, "insecure")) != NULL &&
	    alto_module_args_parse_bool(str, &cfg->insecure) < 0) {
		pw_log_error("insecure: \"%s\" is not true or false", str);
		return -EINVAL;
	}
	if ((str = pw_properties_get(impl->args, "latency.msec")) != NULL) {
		if (alto_module_args_parse_int(str, 0, MAX_LATENCY_MSEC, &v) < 0) {
			pw_log_error("latency.msec: \"%s\" is not a number of milliseconds from 0 to %d",
				     str, MAX_LATENCY_MSEC);
			return -EINVAL;
		}
		cfg->latency_ms = (uint32_t)v;
	}
	cfg->max_retries = -1;
	if ((str = pw_properties_get(impl->args, "max.retries")) != NULL) {
		if (alto_module_args_parse_int(str, -1, 1000000, &v) < 0) {
			pw_log_error("max.retries: \"%s\" is not a number of attempts (-1: forever)", str);
			return -EINVAL;
		}
		cfg->max_retries = (int)v;
	}
	cfg->target = pw_properties_get(impl->args, "target");
	cfg->source = pw_properties_get(impl->args, "source");
	if ((res = parse_props_arg(impl, "stream.props", &impl->stream_props)) < 0 ||
	    (res = parse_props_arg(impl, "participant.props", &impl->participant_props)) < 0 ||
	    (res = parse_props_arg(impl, "send.props", &impl->send_props)) < 0)
		return res;
	/* not copied by the session: these live as long as impl, which outlives it */
	cfg->mixer_props = impl->stream_props->dict.n_items ? &impl->stream_props->dict : NULL;
	cfg->participant_props = impl->participant_props->dict.n_items ? &impl->participant_props->dict : NULL;
	cfg->send_props = impl->send_props->dict.n_items ? &impl->send_props->dict : NULL;
	return 0;
}

/* ------------------------------------------------------------------ init */

static int connect_core(struct impl *impl)
{
	const char *remote = pw_properties_get(impl->args, PW_KEY_REMOTE_NAME);

	/* a client process (pw-cli -m load-module) has its core already; the daemon and a
	 * `pipewire -c` process connect one for this room */
	impl->core = remote ? NULL : pw_context_get_object(impl->context, PW_TYPE_INTERFACE_Core);
	if (impl->core == NULL) {
		impl->core = pw_context_connect(impl->context,
				pw_properties_new(PW_KEY_REMOTE_NAME, remote,
						  PW_KEY_APP_NAME, "alto",
						  NULL), 0);
		impl->do_disconnect = true;
	}
	if (impl->core == NULL) {
		int res = -errno;
		pw_log_error("cannot connect to PipeWire%s%s: %s", remote ? " " : "", remote ? remote : "",
			     spa_strerror(res));
		return res;
	}
	pw_proxy_add_listener((struct pw_proxy *)impl->core, &impl->core_proxy_listener,
			      &core_proxy_events, impl);
	pw_core_add_listener(impl->core, &impl->core_listener, &core_events, impl);
	return 0;
}

SPA_EXPORT
int pipewire__module_init(struct pw_impl_module *module, const char *args)
{
	struct pw_context *context = pw_impl_module_get_context(module);
	struct alto_room_session_config cfg = { 0 };
	struct alto_url url;
	struct sigaction sa;
	struct impl *impl;
	char *token = NULL;
	int res;

	PW_LOG_TOPIC_INIT(mod_topic);

	impl = calloc(1, sizeof(*impl));
	if (impl == NULL)
		return -errno;
	impl->module = module;
	impl->context = context;
	impl->main_loop = pw_context_get_main_loop(context);

	if ((res = parse_args(impl, args, &cfg, &url)) < 0)
		goto error;
	if ((token = make_token(impl, &url)) == NULL) {
		res = -EINVAL;
		goto error;
	}
	if (impl->room == NULL || impl->identity == NULL) {
		pw_log_error("%s is required (the token does not name it)", impl->room == NULL ? "room" : "identity");
		res = -EINVAL;
		goto error;
	}
	if ((res = connect_core(impl)) < 0)
		goto error;

	/* A peer that resets the TLS connection must be a write error, not
	 * the death of the whole daemon: PipeWire leaves SIGPIPE at its default. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);

	cfg.token = token;
	cfg.room = impl->room;
	cfg.observer = &observer_events;
	cfg.observer_data = impl;
	impl->session = alto_room_session_new(impl->main_loop, context, impl->core, &cfg,
					      &session_events, impl);
	free_secret(token);
	token = NULL;
	if (impl->session == NULL) {
		res = -errno;
		pw_log_error("%s: cannot start the room session: %s%s", impl->room, spa_strerror(res),
			     res == -ENOENT ? " (the alto.mixer SPA plugin was not found: SPA_PLUGIN_DIR?)" : "");
		goto error;
	}

	pw_impl_module_add_listener(module, &impl->module_listener, &module_events, impl);
	pw_context_add_listener(context, &impl->context_listener, &context_events, impl);
	impl->context_listening = true;
	pw_impl_module_update_properties(module, &SPA_DICT_INIT_ARRAY(module_info));
	pw_log_info("%s: joining as %s at %s", impl->room, impl->identity, cfg.url);
	return 0;

error:
	free_secret(token);
	impl_destroy(impl);
	return res;
}
