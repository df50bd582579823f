/* The LiveKit signaling client: one WebSocket (libwebsockets on the glib
 * event loop of the caller's GMainContext), the session state machine
 * (join, keepalive, resume, rejoin, leave) and the dispatch of server
 * messages to room state and events.
 *
 * Thread: the GMainContext's thread, for everything (lws callbacks, timers,
 * requests, events).
 *
 * Connections: every attempt gets its own struct conn. lws owns the wsi; the
 * conn lives until both sides are done with it: the client "abandons" it
 * (conn->impl = NULL) when it gives the attempt up, lws reports
 * LWS_CALLBACK_WSI_DESTROY when the wsi is gone, and whichever comes second
 * frees it. So a late lws callback never reaches a client that moved on. */
#include "alto-signal.h"
#include "alto-token.h"
#include "alto-url.h"
#include "backoff.h"
#include "room.h"
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <libwebsockets.h>

#define G_LOG_DOMAIN_SIGNAL "alto-signal"
#define log_debug(...) g_log(G_LOG_DOMAIN_SIGNAL, G_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) g_log(G_LOG_DOMAIN_SIGNAL, G_LOG_LEVEL_INFO, __VA_ARGS__)

#define PROTOCOL_NAME "alto-livekit-signal"
#define MAX_MESSAGE (4u << 20)              /* a server message larger than this is garbage */
#define DEFAULT_JOIN_TIMEOUT_MS 10000
#define LEAVE_TIMEOUT_MS 2000
#define DEFAULT_PING_INTERVAL_S 5
#define DEFAULT_PING_TIMEOUT_S 15
/* a session that lived this long counts as a success: the retry count starts over */
#define STABLE_SESSION_US (10 * G_USEC_PER_SEC)

enum state {
	STATE_CONNECTING,        /* an attempt is under way (socket or awaiting join/reconnect) */
	STATE_CONNECTED,         /* in the room */
	STATE_BACKOFF,           /* waiting before the next attempt */
	STATE_LEAVING,           /* leave queued, waiting for the socket to close */
	STATE_ENDED,             /* terminal: `left` emitted or about to be */
};

struct impl;

struct conn {
	struct impl *impl;       /* NULL once abandoned */
	struct lws *wsi;         /* NULL once lws destroyed it */
	char *auth;              /* "Bearer <token>" for the handshake */
	GByteArray *rx;          /* the message being reassembled */
	bool rx_in_message;
	GQueue tx;               /* GBytes * to send, in order */
	unsigned http_status;
	bool established;
	bool close_when_flushed;
	uint16_t peer_close_code;
};

struct impl {
	GMainContext *ctx;
	GMainLoop *lws_loop;     /* only to hand lws our context; never run */
	struct lws_context *lws;

	struct alto_url url;
	char *url_text;
	char *token;
	char *metadata;
	char *os_version;
	enum alto_signal_mode mode;
	bool insecure;
	bool auto_subscribe;
	int max_retries;
	uint32_t *retry_delays;
	struct alto_backoff_policy backoff;
	uint32_t join_timeout_ms;

	const struct alto_signal_events *events;
	void *data;
	struct alto_room *room;

	enum state state;
	bool use_legacy;         /* /rtc/v1 answered 404: legacy from now on */
	bool ever_joined;
	bool attempt_is_resume;  /* the attempt under way resumes (else a full join) */
	bool next_is_resume;
	bool last_was_resume;
	bool expect_snapshot;    /* the next ParticipantUpdate follows a ReconnectResponse */
	enum alto_reconnect_reason reconnect_reason;
	unsigned attempt;        /* consecutive failures (sessions shorter than STABLE_SESSION_US count) */
	gint64 connected_at;     /* monotonic time of the last join or resume */
	struct conn *conn;

	uint32_t ping_interval_s;
	uint32_t ping_timeout_s;
	int64_t last_ping_ms;
	uint32_t rtt_ms;

	GSource *retry_timer;
	GSource *join_timer;
	GSource *ping_timer;
	GSource *ping_deadline;
	GSource *leave_timer;
	GSource *left_notify;
	GSource *destroy_idle;

	struct alto_left_info left;
	char *left_message;

	int in_event;            /* > 0 while an event callback runs */
	bool destroy_pending;
};

static void conn_abandon(struct conn *conn);
static void schedule_retry(struct impl *impl, const char *why);
static void end_session(struct impl *impl, enum alto_signal_end end, int reason,
			unsigned http_status, const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* ------------------------------------------------------------------ events */

#define emit(impl, name, ...)                                                      \
	do {                                                                       \
		if ((impl)->events && (impl)->events->name) {                      \
			(impl)->in_event++;                                        \
			(impl)->events->name((impl)->data, ##__VA_ARGS__);         \
			(impl)->in_event--;                                        \
		}                                                                  \
	} while (0)

/* Room-state events go through a table of wrappers so that in_event is kept
 * for them too. */
#define FORWARD(name, sig, args)                                     \
	static void fwd_##name sig                                   \
	{                                                            \
		struct impl *impl = data;                            \
		emit(impl, name, args);                              \
	}
FORWARD(room_updated, (void *data, const struct alto_room_info *r), r)
FORWARD(participant_joined, (void *data, const struct alto_participant_info *p), p)
FORWARD(participant_updated, (void *data, const struct alto_participant_info *p), p)
FORWARD(participant_left, (void *data, const struct alto_participant_info *p), p)
FORWARD(self_updated, (void *data, const struct alto_participant_info *p), p)
#define COMMA ,
FORWARD(track_published, (void *data, const struct alto_participant_info *p, const struct alto_track_info *t), p COMMA t)
FORWARD(track_unpublished, (void *data, const struct alto_participant_info *p, const struct alto_track_info *t), p COMMA t)
FORWARD(track_muted, (void *data, const struct alto_participant_info *p, const struct alto_track_info *t), p COMMA t)
FORWARD(speakers, (void *data, const struct alto_speaker *s, size_t n), s COMMA n)
FORWARD(quality, (void *data, const struct alto_quality_update *q, size_t n), q COMMA n)
FORWARD(local_track_published, (void *data, const char *cid, const struct alto_track_info *t), cid COMMA t)
FORWARD(local_track_unpublished, (void *data, const char *sid), sid)
FORWARD(local_track_muted, (void *data, const char *sid, bool muted), sid COMMA muted)

static const struct alto_signal_events room_forward = {
	.version = ALTO_VERSION_SIGNAL_EVENTS,
	.room_updated = fwd_room_updated,
	.participant_joined = fwd_participant_joined,
	.participant_updated = fwd_participant_updated,
	.participant_left = fwd_participant_left,
	.self_updated = fwd_self_updated,
	.track_published = fwd_track_published,
	.track_unpublished = fwd_track_unpublished,
	.track_muted = fwd_track_muted,
	.speakers = fwd_speakers,
	.quality = fwd_quality,
	.local_track_published = fwd_local_track_published,
	.local_track_unpublished = fwd_local_track_unpublished,
	.local_track_muted = fwd_local_track_muted,
};

/* ------------------------------------------------------------------ timers
 * Persistent sources with a ready time: armed with a delay, disarmed with -1.
 * No per-use allocation, and arming again simply moves the deadline. */

static gboolean deadline_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
	g_source_set_ready_time(source, -1);
	return callback ? callback(data) : G_SOURCE_CONTINUE;
}

static GSourceFuncs deadline_funcs = {
	.dispatch = deadline_dispatch,
};

static GSource *deadline_new(struct impl *impl, GSourceFunc func, const char *name)
{
	GSource *s = g_source_new(&deadline_funcs, sizeof(GSource));

	g_source_set_callback(s, func, impl, NULL);
	g_source_set_name(s, name);
	g_source_set_ready_time(s, -1);
	g_source_attach(s, impl->ctx);
	return s;
}

static void deadline_arm(GSource *s, uint32_t delay_ms)
{
	g_source_set_ready_time(s, g_get_monotonic_time() + (gint64)delay_ms * 1000);
}

static void deadline_disarm(GSource *s)
{
	g_source_set_ready_time(s, -1);
}

static void deadline_free(GSource **s)
{
	if (*s) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

static int64_t now_ms(void)
{
	return g_get_real_time() / 1000;
}

/* ------------------------------------------------------------------ sending */

static int queue_request(struct impl *impl, const Livekit__SignalRequest *req)
{
	struct conn *conn = impl->conn;

	if (conn == NULL || conn->wsi == NULL || !conn->established || conn->close_when_flushed)
		return -ENOTCONN;
	g_queue_push_tail(&conn->tx, alto_wire_pack_request(req));
	lws_callback_on_writable(conn->wsi);
	return 0;
}

static void send_ping(struct impl *impl)
{
	Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
	Livekit__Ping ping = LIVEKIT__PING__INIT;

	impl->last_ping_ms = now_ms();
	ping.timestamp = impl->last_ping_ms;
	ping.rtt = impl->rtt_ms;
	req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_PING_REQ;
	req.ping_req = &ping;
	queue_request(impl, &req);
}

/* ------------------------------------------------------------------ connecting */

static void conn_free(struct conn *conn)
{
	GBytes *b;

	while ((b = g_queue_pop_head(&conn->tx)) != NULL)
		g_bytes_unref(b);
	if (conn->auth) {
		memset(conn->auth, 0, strlen(conn->auth));
		g_free(conn->auth);
	}
	g_byte_array_unref(conn->rx);
	g_free(conn);
}

/* The client gives conn up. lws closes the wsi on its next service. */
static void conn_abandon(struct conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->impl && conn->impl->conn == conn)
		conn->impl->conn = NULL;
	conn->impl = NULL;
	if (conn->wsi == NULL) {
		conn_free(conn);
		return;
	}
	lws_set_timeout(conn->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	/* the glib event lib re-arms its timer only after some fd activity:
	 * wake lws up through its event pipe so the kill happens now */
	lws_cancel_service(lws_get_context(conn->wsi));
}

static void stop_session_timers(struct impl *impl)
{
	deadline_disarm(impl->ping_timer);
	deadline_disarm(impl->ping_deadline);
	deadline_disarm(impl->join_timer);
}

static const char *os_version(struct impl *impl)
{
	return impl->os_version;
}

static void start_attempt(struct impl *impl)
{
	struct lws_client_connect_info ci;
	struct alto_join_params jp;
	struct alto_join_offer offer = { 0 };
	struct conn *conn;
	struct alto_wire_path_info wi;
	char *path, *log_path = NULL;
	const struct alto_participant_info *self = alto_room_self(impl->room);
	struct lws *wsi;
	int res;

	conn_abandon(impl->conn);
	impl->attempt_is_resume = impl->next_is_resume && self != NULL;
	impl->state = STATE_CONNECTING;

	memset(&jp, 0, sizeof(jp));
	jp.prefix = impl->url.prefix;
	jp.v1 = !impl->use_legacy;
	jp.token = impl->token;
	jp.auto_subscribe = impl->auto_subscribe;
	jp.metadata = impl->metadata;
	jp.os_version = os_version(impl);
	if (impl->attempt_is_resume) {
		jp.reconnect = true;
		jp.participant_sid = self->sid;
		jp.reconnect_reason = impl->reconnect_reason;
	} else if (jp.v1) {
		emit(impl, join_offer, impl->ever_joined, &offer);
		if (impl->state != STATE_CONNECTING)    /* left from inside the callback */
			return;
		jp.offer_sdp = offer.sdp;
		jp.offer_id = offer.id;
	}
	res = alto_wire_join_path(&jp, &path, &log_path, &wi);
	if (res == -EMSGSIZE) {
		/* retrying would send the same request: end with one clear error */
		if (jp.v1)
			end_session(impl, ALTO_SIGNAL_END_ERROR, 0, 0,
				    "the join request is too large: %zu bytes (publisher offer %zu, "
				    "metadata %zu) make a %zu-character /rtc/v1 URL even gzip-compressed, "
				    "libwebsockets 4.1 sends at most %d",
				    wi.join_request_len, offer.sdp ? strlen(offer.sdp) : 0,
				    jp.metadata ? strlen(jp.metadata) : 0, wi.path_len, ALTO_WIRE_PATH_MAX);
		else
			end_session(impl, ALTO_SIGNAL_END_ERROR, 0, 0,
				    "the access token is too long for the legacy /rtc URL (%zu characters, "
				    "libwebsockets 4.1 sends at most %d)", wi.path_len, ALTO_WIRE_PATH_MAX);
		return;
	}
	if (res < 0) {
		end_session(impl, ALTO_SIGNAL_END_ERROR, 0, 0, "cannot build the join request: %s",
			    g_strerror(-res));
		return;
	}
	if (wi.gzip)
		log_debug("join request: %zu bytes, gzip-compressed: the plain URL would have %zu "
			  "characters, now %zu", wi.join_request_len, wi.plain_path_len, wi.path_len);

	conn = g_new0(struct conn, 1);
	conn->impl = impl;
	conn->rx = g_byte_array_new();
	g_queue_init(&conn->tx);
	conn->auth = g_strconcat("Bearer ", impl->token, NULL);
	impl->conn = conn;

	log_info("connecting to %s%s%s (%s)", impl->url.tls ? "wss://" : "ws://",
		 impl->url.host_header, log_path ? log_path : "?",
		 impl->attempt_is_resume ? "resume" : impl->ever_joined ? "rejoin" : "join");
	g_free(log_path);

	memset(&ci, 0, sizeof(ci));
	ci.context = impl->lws;
	ci.address = impl->url.host;
	ci.port = impl->url.port;
	ci.path = path;
	ci.host = impl->url.host_header;
	ci.ssl_connection = 0;
	if (impl->url.tls) {
		ci.ssl_connection = LCCSCF_USE_SSL;
		if (impl->insecure)
			ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
					     LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	}
	ci.local_protocol_name = PROTOCOL_NAME;
	ci.opaque_user_data = conn;

	deadline_arm(impl->join_timer, impl->join_timeout_ms);
	wsi = lws_client_connect_via_info(&ci);
	memset(path, 0, strlen(path));
	g_free(path);
	if (wsi == NULL) {
		/* no wsi exists: nothing of lws refers to conn */
		if (impl->conn == conn) {
			impl->conn = NULL;
			conn->impl = NULL;
		}
		conn_free(conn);
		schedule_retry(impl, "cannot start a connection (address resolution or socket failure)");
		return;
	}
	if (conn->impl != NULL)
		conn->wsi = wsi;
}

static gboolean on_retry_timer(gpointer data)
{
	struct impl *impl = data;

	if (impl->state == STATE_BACKOFF)
		start_attempt(impl);
	return G_SOURCE_CONTINUE;
}

/* The attempt under way or the live session failed: try again later, or give up. */
static void schedule_retry(struct impl *impl, const char *why)
{
	struct alto_reconnect_status st;
	uint32_t delay;

	conn_abandon(impl->conn);
	stop_session_timers(impl);
	if (impl->state == STATE_ENDED || impl->state == STATE_LEAVING)
		return;

	impl->attempt++;
	if (impl->max_retries >= 0 && impl->attempt > (unsigned)impl->max_retries) {
		end_session(impl, ALTO_SIGNAL_END_UNREACHABLE, 0, 0, "%s%s: %s",
			    impl->ever_joined ? "lost the connection to " : "cannot connect to ",
			    impl->url_text, why);
		return;
	}
	delay = alto_backoff_delay_ms(&impl->backoff, impl->attempt, g_random_int());
	impl->state = STATE_BACKOFF;
	deadline_arm(impl->retry_timer, delay);
	log_info("retry %u in %u ms: %s", impl->attempt, delay, why);

	st.attempt = impl->attempt;
	st.delay_ms = delay;
	st.full = !(impl->next_is_resume && alto_room_self(impl->room) != NULL);
	st.reason = why;
	emit(impl, reconnecting, &st);
}

/* Right away, without counting a failure (the server told us what to do). */
static void retry_now(struct impl *impl, const char *why)
{
	struct alto_reconnect_status st;

	conn_abandon(impl->conn);
	stop_session_timers(impl);
	if (impl->state == STATE_ENDED || impl->state == STATE_LEAVING)
		return;
	impl->state = STATE_BACKOFF;
	deadline_arm(impl->retry_timer, 0);
	st.attempt = impl->attempt + 1;
	st.delay_ms = 0;
	st.full = !(impl->next_is_resume && alto_room_self(impl->room) != NULL);
	st.reason = why;
	emit(impl, reconnecting, &st);
}

static gboolean on_left_notify(gpointer data)
{
	struct impl *impl = data;

	impl->left.message = impl->left_message ? impl->left_message : "";
	emit(impl, left, &impl->left);
	return G_SOURCE_CONTINUE;
}

static void end_session(struct impl *impl, enum alto_signal_end end, int reason,
			unsigned http_status, const char *fmt, ...)
{
	va_list ap;

	if (impl->state == STATE_ENDED)
		return;
	impl->state = STATE_ENDED;
	conn_abandon(impl->conn);
	stop_session_timers(impl);
	deadline_disarm(impl->retry_timer);
	deadline_disarm(impl->leave_timer);

	impl->left.end = end;
	impl->left.reason = (enum alto_disconnect_reason)reason;
	impl->left.http_status = http_status;
	g_free(impl->left_message);
	va_start(ap, fmt);
	impl->left_message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	log_info("session ended: %s", impl->left_message);
	/* `left` always comes from the loop, never from inside a request */
	deadline_arm(impl->left_notify, 0);
}

/* The attempt failed before we were in the room (or the socket closed). */
static void attempt_failed(struct impl *impl, unsigned status, const char *why)
{
	char buf[256];

	if (impl->state != STATE_CONNECTING)
		return;
	if (status == 401 || status == 403) {
		end_session(impl, ALTO_SIGNAL_END_UNAUTHORIZED, 0, status,
			    "%s refused the access token (HTTP %u)", impl->url_text, status);
		return;
	}
	if (status == 404 && !impl->use_legacy && impl->mode == ALTO_SIGNAL_MODE_AUTO) {
		log_info("/rtc/v1 answered 404: falling back to the legacy /rtc endpoint");
		impl->use_legacy = true;
		/* a v1 resume cannot continue as a legacy session */
		impl->next_is_resume = false;
		conn_abandon(impl->conn);
		stop_session_timers(impl);
		impl->state = STATE_BACKOFF;
		deadline_arm(impl->retry_timer, 0);
		return;
	}
	if (status == 404 || status == 400 || status == 405 || status == 426) {
		end_session(impl, ALTO_SIGNAL_END_REFUSED, 0, status,
			    "%s refused the connection (HTTP %u)%s", impl->url_text, status,
			    status == 404 ? ": is this a LiveKit server?" : "");
		return;
	}
	if (status != 0 && status != 101)
		snprintf(buf, sizeof(buf), "%s (HTTP %u)", why, status);
	else
		snprintf(buf, sizeof(buf), "%s", why);
	schedule_retry(impl, buf);
}

/* A server that accepts us and then drops us at once must not get a tight
 * reconnect loop: only a session that lasted resets the retry count. */
static bool session_stable(struct impl *impl)
{
	return g_get_monotonic_time() - impl->connected_at >= STABLE_SESSION_US;
}

/* The socket of conn is gone or unusable. */
static void conn_lost(struct impl *impl, struct conn *conn, const char *why)
{
	char buf[160];

	if (impl->conn != conn)
		return;
	switch (impl->state) {
	case STATE_CONNECTING:
		attempt_failed(impl, conn->http_status, why);
		break;
	case STATE_CONNECTED:
		if (conn->peer_close_code)
			snprintf(buf, sizeof(buf), "signal connection lost: %s (close code %u)", why,
				 conn->peer_close_code);
		else
			snprintf(buf, sizeof(buf), "signal connection lost: %s", why);
		impl->next_is_resume = true;
		impl->reconnect_reason = ALTO_RECONNECT_SIGNAL_DISCONNECTED;
		if (session_stable(impl))
			impl->attempt = 0;
		schedule_retry(impl, buf);
		break;
	case STATE_LEAVING:
		end_session(impl, ALTO_SIGNAL_END_CLIENT, ALTO_DISCONNECT_CLIENT_INITIATED, 0, "left the room");
		break;
	default:
		conn_abandon(conn);
		break;
	}
}

/* ------------------------------------------------------------------ server messages */

static void on_join(struct impl *impl, const Livekit__JoinResponse *jr)
{
	struct alto_join_info info;
	struct alto_ice_servers ice;
	const struct alto_participant_info *const *list;
	bool rejoin = impl->ever_joined;

	if (jr->alternative_url && jr->alternative_url[0] && jr->participant == NULL) {
		attempt_failed(impl, 0, "the server redirects elsewhere (alternative_url), which alto does not follow");
		return;
	}
	if (alto_room_apply_join(impl->room, jr, rejoin) < 0) {
		attempt_failed(impl, 0, "the server's join response has no participant");
		return;
	}
	if (impl->state != STATE_CONNECTING)   /* left from inside a diff event */
		return;
	deadline_disarm(impl->join_timer);
	impl->state = STATE_CONNECTED;
	impl->ever_joined = true;
	impl->connected_at = g_get_monotonic_time();
	impl->next_is_resume = false;
	impl->last_was_resume = false;
	impl->expect_snapshot = false;
	impl->ping_interval_s = jr->ping_interval > 0 ? (uint32_t)jr->ping_interval : DEFAULT_PING_INTERVAL_S;
	impl->ping_timeout_s = jr->ping_timeout > 0 ? (uint32_t)jr->ping_timeout : DEFAULT_PING_TIMEOUT_S;
	if (impl->ping_interval_s > 3600)
		impl->ping_interval_s = 3600;
	if (impl->ping_timeout_s > 3600)
		impl->ping_timeout_s = 3600;
	deadline_arm(impl->ping_timer, impl->ping_interval_s * 1000);
	deadline_arm(impl->ping_deadline, impl->ping_timeout_s * 1000);

	alto_ice_servers_from_pb(&ice, jr->n_ice_servers, jr->ice_servers);
	memset(&info, 0, sizeof(info));
	info.rejoin = rejoin;
	info.single_pc = !impl->use_legacy;
	info.room = alto_room_info(impl->room);
	info.self = alto_room_self(impl->room);
	info.n_participants = alto_room_participants(impl->room, &list);
	info.participants = list;
	info.n_ice_servers = ice.n;
	info.ice_servers = ice.servers;
	info.subscriber_primary = jr->subscriber_primary;
	info.fast_publish = jr->fast_publish;
	info.force_relay = jr->client_configuration ?
		(enum alto_client_setting)jr->client_configuration->force_relay : ALTO_SETTING_UNSET;
	info.ping_interval_s = impl->ping_interval_s;
	info.ping_timeout_s = impl->ping_timeout_s;
	info.server_version = jr->server_info && jr->server_info->version && jr->server_info->version[0] ?
		jr->server_info->version : (jr->server_version ? jr->server_version : "");
	info.server_region = jr->server_info && jr->server_info->region && jr->server_info->region[0] ?
		jr->server_info->region : (jr->server_region ? jr->server_region : "");
	info.server_node_id = jr->server_info && jr->server_info->node_id ? jr->server_info->node_id : "";
	info.server_protocol = jr->server_info ? jr->server_info->protocol : 0;
	info.alternative_url = jr->alternative_url ? jr->alternative_url : "";
	log_info("%s room '%s' as '%s' (%s, %zu others)", rejoin ? "rejoined" : "joined",
		 info.room->name, info.self->identity, info.single_pc ? "single PC" : "legacy",
		 info.n_participants);
	emit(impl, joined, &info);
	alto_ice_servers_clear(&ice);
}

static void on_reconnect_response(struct impl *impl, const Livekit__ReconnectResponse *rr)
{
	struct alto_resume_info info;
	struct alto_ice_servers ice;

	deadline_disarm(impl->join_timer);
	impl->state = STATE_CONNECTED;
	impl->connected_at = g_get_monotonic_time();
	impl->next_is_resume = false;
	impl->last_was_resume = true;
	impl->expect_snapshot = true;
	deadline_arm(impl->ping_timer, impl->ping_interval_s * 1000);
	deadline_arm(impl->ping_deadline, impl->ping_timeout_s * 1000);

	alto_ice_servers_from_pb(&ice, rr ? rr->n_ice_servers : 0, rr ? rr->ice_servers : NULL);
	memset(&info, 0, sizeof(info));
	info.single_pc = !impl->use_legacy;
	info.n_ice_servers = ice.n;
	info.ice_servers = ice.servers;
	info.force_relay = rr && rr->client_configuration ?
		(enum alto_client_setting)rr->client_configuration->force_relay : ALTO_SETTING_UNSET;
	log_info("resumed the session");
	emit(impl, resumed, &info);
	alto_ice_servers_clear(&ice);
}

static void on_leave(struct impl *impl, const Livekit__LeaveRequest *leave)
{
	int reason = leave ? leave->reason : 0;
	int action = leave ? leave->action : 0;
	char why[128];

	if (impl->state == STATE_LEAVING || impl->state == STATE_ENDED)
		return;
	/* protocol < 13 servers only set can_reconnect */
	if (leave && action == LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT && leave->can_reconnect)
		action = LIVEKIT__LEAVE_REQUEST__ACTION__RECONNECT;
	log_info("server leave: reason %s, action %d", alto_disconnect_reason_name(reason), action);

	switch (action) {
	case LIVEKIT__LEAVE_REQUEST__ACTION__RESUME:
		if (alto_room_self(impl->room) != NULL) {
			snprintf(why, sizeof(why), "the server asked to resume (%s)", alto_disconnect_reason_name(reason));
			impl->next_is_resume = true;
			impl->reconnect_reason = ALTO_RECONNECT_SIGNAL_DISCONNECTED;
			if (impl->state == STATE_CONNECTED && session_stable(impl))
				impl->attempt = 0;
			schedule_retry(impl, why);
			break;
		}
		/* nothing to resume: a full reconnect */
		G_GNUC_FALLTHROUGH;
	case LIVEKIT__LEAVE_REQUEST__ACTION__RECONNECT:
		snprintf(why, sizeof(why), "the server asked for a full reconnect (%s)",
			 alto_disconnect_reason_name(reason));
		impl->next_is_resume = false;
		if (impl->state == STATE_CONNECTING && impl->attempt_is_resume) {
			/* our resume was refused: rejoin at once */
			retry_now(impl, why);
		} else {
			if (impl->state == STATE_CONNECTED && session_stable(impl))
				impl->attempt = 0;
			schedule_retry(impl, why);
		}
		break;
	default:
		end_session(impl, ALTO_SIGNAL_END_REMOVED, reason, 0, "the server removed us from the room (%s)",
			    alto_disconnect_reason_name(reason));
		break;
	}
}

static void session_description(struct alto_session_description *sd, struct alto_mid_track **map,
				const Livekit__SessionDescription *pb)
{
	size_t i, n = 0;

	*map = g_new0(struct alto_mid_track, pb->n_mid_to_track_id ? pb->n_mid_to_track_id : 1);
	for (i = 0; i < pb->n_mid_to_track_id; i++) {
		const Livekit__SessionDescription__MidToTrackIdEntry *e = pb->mid_to_track_id[i];
		if (e == NULL)
			continue;
		(*map)[n].mid = e->key ? e->key : "";
		(*map)[n].track_id = e->value ? e->value : "";
		n++;
	}
	sd->type = pb->type ? pb->type : "";
	sd->sdp = pb->sdp ? pb->sdp : "";
	sd->id = pb->id;
	sd->n_mid_to_track = n;
	sd->mid_to_track = *map;
}

static void dispatch_connected(struct impl *impl, const Livekit__SignalResponse *msg)
{
	struct alto_session_description sd;
	struct alto_mid_track *map;

	switch (msg->message_case) {
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_OFFER:
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ANSWER: {
		const Livekit__SessionDescription *pb = msg->message_case == LIVEKIT__SIGNAL_RESPONSE__MESSAGE_OFFER ?
			msg->offer : msg->answer;
		if (pb == NULL)
			break;
		session_description(&sd, &map, pb);
		if (msg->message_case == LIVEKIT__SIGNAL_RESPONSE__MESSAGE_OFFER)
			emit(impl, offer, &sd);
		else
			emit(impl, answer, &sd);
		g_free(map);
		break;
	}
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRICKLE:
		if (msg->trickle && msg->trickle->candidateinit)
			emit(impl, trickle, msg->trickle->candidateinit,
			     (enum alto_signal_target)msg->trickle->target, (bool)msg->trickle->final);
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_MEDIA_SECTIONS_REQUIREMENT:
		if (msg->media_sections_requirement)
			emit(impl, media_sections_requirement, msg->media_sections_requirement->num_audios,
			     msg->media_sections_requirement->num_videos);
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_PONG_RESP:
		if (msg->pong_resp && msg->pong_resp->last_ping_timestamp > 0) {
			int64_t rtt = now_ms() - msg->pong_resp->last_ping_timestamp;
			if (rtt >= 0 && rtt < 600000) {
				impl->rtt_ms = (uint32_t)rtt;
				emit(impl, rtt, impl->rtt_ms);
			}
		}
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_SUBSCRIBED:
		if (msg->track_subscribed && msg->track_subscribed->track_sid)
			emit(impl, track_subscribed, msg->track_subscribed->track_sid);
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_SUBSCRIPTION_RESPONSE:
		if (msg->subscription_response && msg->subscription_response->track_sid)
			emit(impl, subscription_failed, msg->subscription_response->track_sid,
			     (int)msg->subscription_response->err);
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REQUEST_RESPONSE:
		if (msg->request_response)
			emit(impl, request_response, msg->request_response->request_id,
			     (int)msg->request_response->reason,
			     msg->request_response->message ? msg->request_response->message : "");
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE:
		if (impl->expect_snapshot) {
			impl->expect_snapshot = false;
			if (alto_room_apply_snapshot(impl->room, msg->update))
				log_debug("applied the participant snapshot after the resume");
		} else {
			alto_room_apply_response(impl->room, msg);
		}
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ROOM_MOVED:
		log_info("the server moved us to another room: not supported, staying with the old state");
		if (msg->room_moved && msg->room_moved->token && msg->room_moved->token[0]) {
			g_free(impl->token);
			impl->token = g_strdup(msg->room_moved->token);
		}
		break;
	default:
		alto_room_apply_response(impl->room, msg);
		break;
	}
}

static void on_message(struct impl *impl, struct conn *conn, const uint8_t *data, size_t len)
{
	Livekit__SignalResponse *msg;

	msg = livekit__signal_response__unpack(NULL, len, data);
	if (msg == NULL) {
		conn_lost(impl, conn, "undecodable message from the server (not LiveKit protobuf)");
		return;
	}
	/* any message proves the signal alive */
	if (impl->state == STATE_CONNECTED)
		deadline_arm(impl->ping_deadline, impl->ping_timeout_s * 1000);

	switch (msg->message_case) {
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_JOIN:
		if (impl->state == STATE_CONNECTING && msg->join)
			on_join(impl, msg->join);
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_RECONNECT:
		if (impl->state == STATE_CONNECTING && impl->attempt_is_resume)
			on_reconnect_response(impl, msg->reconnect);
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_LEAVE:
		on_leave(impl, msg->leave);
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_REFRESH_TOKEN:
		if (msg->refresh_token && msg->refresh_token[0]) {
			g_free(impl->token);
			impl->token = g_strdup(msg->refresh_token);
			log_debug("access token refreshed");
		}
		break;
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_PONG:
		break;
	default:
		if (impl->state == STATE_CONNECTED)
			dispatch_connected(impl, msg);
		else if (impl->state == STATE_CONNECTING && impl->attempt_is_resume)
			/* a resumed server sends the full participant update before we
			 * see the socket as connected only if it skips `reconnect` */
			alto_room_apply_response(impl->room, msg);
		break;
	}
	livekit__signal_response__free_unpacked(msg, NULL);
}

/* ------------------------------------------------------------------ lws */

static int on_receive(struct conn *conn, struct lws *wsi, const void *in, size_t len)
{
	struct impl *impl = conn->impl;

	if (!conn->rx_in_message) {
		conn->rx_in_message = true;
		g_byte_array_set_size(conn->rx, 0);
		if (!lws_frame_is_binary(wsi)) {
			/* a text frame would switch the protocol to JSON: not LiveKit binary */
			conn_lost(impl, conn, "the server sent a text frame (alto speaks binary protobuf only)");
			return -1;
		}
	}
	if (conn->rx->len + len > MAX_MESSAGE) {
		conn_lost(impl, conn, "the server sent a message larger than 4 MiB");
		return -1;
	}
	g_byte_array_append(conn->rx, in, (guint)len);
	if (!lws_is_final_fragment(wsi))
		return 0;
	conn->rx_in_message = false;
	on_message(impl, conn, conn->rx->data, conn->rx->len);
	g_byte_array_set_size(conn->rx, 0);
	/* abandoned while handling it: close now */
	return conn->impl == NULL ? -1 : 0;
}

static int on_writeable(struct conn *conn, struct lws *wsi)
{
	GBytes *b = g_queue_pop_head(&conn->tx);

	if (b != NULL) {
		size_t len;
		const uint8_t *data = g_bytes_get_data(b, &len);
		uint8_t *buf = g_malloc(LWS_PRE + len + 1);
		int n;

		memcpy(buf + LWS_PRE, data, len);
		n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_BINARY);
		g_free(buf);
		g_bytes_unref(b);
		if (n < (int)len) {
			if (conn->impl)
				conn_lost(conn->impl, conn, "cannot write to the socket");
			return -1;
		}
	}
	if (!g_queue_is_empty(&conn->tx)) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (conn->close_when_flushed) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		return -1;
	}
	return 0;
}

static int lws_event(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct conn *conn = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	struct impl *impl;
	int res = 0;

	if (conn == NULL)
		return 0;
	impl = conn->impl;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **p = in, *end = *p + len;
		if (impl == NULL)
			return -1;
		if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
						 (const unsigned char *)conn->auth,
						 (int)strlen(conn->auth), p, end))
			return -1;
		break;
	}
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		conn->http_status = lws_http_client_http_response(wsi);
		break;

	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
		char why[160];
		if (impl == NULL)
			break;
		if (conn->http_status == 0)
			conn->http_status = lws_http_client_http_response(wsi);
		snprintf(why, sizeof(why), "%s", in ? (const char *)in : "connection failed");
		log_debug("lws connection error: %s", why);
		/* lws says "Unable to connect" both for refused and unreachable */
		if (strstr(why, "nable to connect") || strstr(why, "onnect failed") || strstr(why, "ECONNREFUSED"))
			snprintf(why, sizeof(why), "connection refused or host unreachable");
		else if (impl->url.tls && conn->http_status == 0 &&
			 (strstr(why, "SSL") || strstr(why, "ssl") || strstr(why, "tls") || strstr(why, "certificate")))
			snprintf(why, sizeof(why), "TLS handshake failed: the server's certificate is not trusted "
				 "or not for this host%s", impl->insecure ? "" : " (--insecure skips the check)");
		conn_lost(impl, conn, why);
		break;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (impl == NULL)
			return -1;
		conn->established = true;
		log_debug("signal socket up, waiting for the server's %s",
			  impl->attempt_is_resume ? "reconnect response" : "join response");
		if (!g_queue_is_empty(&conn->tx))
			lws_callback_on_writable(wsi);
		break;

	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (impl == NULL)
			return -1;
		impl->in_event++;
		res = on_receive(conn, wsi, in, len);
		impl->in_event--;
		break;

	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (impl == NULL)
			return -1;
		impl->in_event++;
		res = on_writeable(conn, wsi);
		impl->in_event--;
		break;

	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2)
			conn->peer_close_code = (uint16_t)(((const uint8_t *)in)[0] << 8 | ((const uint8_t *)in)[1]);
		break;

	case LWS_CALLBACK_CLIENT_CLOSED:
		if (impl)
			conn_lost(impl, conn, conn->rx_in_message ? "the server closed in the middle of a message" :
				  "the server closed the connection");
		break;

	case LWS_CALLBACK_WSI_DESTROY:
		conn->wsi = NULL;
		if (impl == NULL) {
			conn_free(conn);
			return 0;
		}
		/* gone without CLOSED/CONNECTION_ERROR: report it; conn_lost
		 * makes impl abandon conn, which frees it (wsi is NULL now) */
		conn_lost(impl, conn, "connection closed");
		if (impl->conn == conn)
			conn_abandon(conn);
		return 0;

	default:
		break;
	}
	return res;
}

static const struct lws_protocols protocols[] = {
	{ PROTOCOL_NAME, lws_event, 0, 65536, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* lws logs can quote request lines: keep the token out of them. */
static void lws_log_emit(int level, const char *line)
{
	GString *s = g_string_new(line);
	const char *markers[] = { "access_token=", "Bearer ", "join_request=" };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(markers); i++) {
		char *at;
		gssize from = 0;
		while ((at = strstr(s->str + from, markers[i])) != NULL) {
			gssize start = at - s->str + (gssize)strlen(markers[i]);
			gssize end = start;
			while (end < (gssize)s->len && s->str[end] != '&' && s->str[end] != ' ' &&
			       s->str[end] != '\r' && s->str[end] != '\n' && s->str[end] != '\'')
				end++;
			g_string_erase(s, start, end - start);
			g_string_insert(s, start, "[redacted]");
			from = start + 10;
		}
	}
	g_strchomp(s->str);
	log_debug("lws: %s", s->str);
	g_string_free(s, TRUE);
}

/* ------------------------------------------------------------------ timers */

static gboolean on_join_timer(gpointer data)
{
	struct impl *impl = data;
	char why[96];

	if (impl->state == STATE_CONNECTING) {
		snprintf(why, sizeof(why), "no %s from the server within %u ms",
			 impl->conn && impl->conn->established ? "join response" : "connection",
			 impl->join_timeout_ms);
		attempt_failed(impl, 0, why);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_ping_timer(gpointer data)
{
	struct impl *impl = data;

	if (impl->state == STATE_CONNECTED) {
		send_ping(impl);
		deadline_arm(impl->ping_timer, impl->ping_interval_s * 1000);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_ping_deadline(gpointer data)
{
	struct impl *impl = data;
	char why[96];

	if (impl->state == STATE_CONNECTED && impl->conn) {
		snprintf(why, sizeof(why), "nothing from the server for %u s", impl->ping_timeout_s);
		conn_lost(impl, impl->conn, why);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_leave_timer(gpointer data)
{
	struct impl *impl = data;

	if (impl->state == STATE_LEAVING)
		end_session(impl, ALTO_SIGNAL_END_CLIENT, ALTO_DISCONNECT_CLIENT_INITIATED, 0,
			    "left the room (the server did not close in time)");
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ public */

struct alto_signal_client *alto_signal_client_new(GMainContext *ctx,
						  const struct alto_signal_config *cfg,
						  const struct alto_signal_events *events,
						  void *data)
{
	struct lws_context_creation_info info;
	struct impl *impl;
	const char *why = NULL;
	void *foreign[1];
	struct utsname un;
	static gsize log_once;

	if (ctx == NULL || cfg == NULL || cfg->url == NULL || cfg->token == NULL || cfg->token[0] == '\0' ||
	    (cfg->retry_delays_ms != NULL && cfg->n_retry_delays == 0)) {
		errno = EINVAL;
		return NULL;
	}
	impl = g_new0(struct impl, 1);
	if (alto_url_parse(cfg->url, &impl->url, &why) < 0) {
		g_free(impl);
		errno = EINVAL;
		return NULL;
	}
	if (g_once_init_enter(&log_once)) {
		lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
		g_once_init_leave(&log_once, 1);
	}

	impl->ctx = g_main_context_ref(ctx);
	impl->url_text = g_strdup_printf("%s://%s%s", impl->url.tls ? "wss" : "ws", impl->url.host_header,
					 impl->url.prefix);
	impl->token = g_strdup(cfg->token);
	impl->metadata = g_strdup(cfg->metadata);
	impl->os_version = uname(&un) == 0 ? g_strdup(un.release) : NULL;
	impl->mode = cfg->mode;
	impl->use_legacy = cfg->mode == ALTO_SIGNAL_MODE_LEGACY;
	impl->insecure = cfg->insecure;
	impl->auto_subscribe = !cfg->no_auto_subscribe;
	impl->max_retries = cfg->max_retries;
	if (cfg->retry_delays_ms) {
		impl->retry_delays = g_memdup2(cfg->retry_delays_ms, cfg->n_retry_delays * sizeof(uint32_t));
		impl->backoff.delays_ms = impl->retry_delays;
		impl->backoff.n_delays = cfg->n_retry_delays;
		impl->backoff.jitter_percent = cfg->retry_jitter_percent;
	} else {
		impl->backoff = alto_backoff_default;
	}
	impl->join_timeout_ms = cfg->join_timeout_ms ? cfg->join_timeout_ms : DEFAULT_JOIN_TIMEOUT_MS;
	impl->ping_interval_s = DEFAULT_PING_INTERVAL_S;
	impl->ping_timeout_s = DEFAULT_PING_TIMEOUT_S;
	impl->events = events;
	impl->data = data;
	impl->room = alto_room_new(&room_forward, impl);

	impl->retry_timer = deadline_new(impl, on_retry_timer, "alto-signal retry");
	impl->join_timer = deadline_new(impl, on_join_timer, "alto-signal join timeout");
	impl->ping_timer = deadline_new(impl, on_ping_timer, "alto-signal ping");
	impl->ping_deadline = deadline_new(impl, on_ping_deadline, "alto-signal ping timeout");
	impl->leave_timer = deadline_new(impl, on_leave_timer, "alto-signal leave timeout");
	impl->left_notify = deadline_new(impl, on_left_notify, "alto-signal left");

	/* lws services its sockets and timers from sources on ctx */
	impl->lws_loop = g_main_loop_new(ctx, FALSE);
	foreign[0] = impl->lws_loop;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	/* TLS only for wss://. lws 4.1 takes a new SSL_CTX ex_data index into
	 * one global on every context made with DO_SSL_GLOBAL_INIT and looks its
	 * client SSL_CTX up under that global when it frees it: a context made
	 * before another one then leaks its whole SSL_CTX (the system CA store,
	 * ~700 KB) — two rooms in one daemon, a module unloaded. A ws:// client
	 * has no SSL_CTX and takes no index, so it neither leaks nor moves the
	 * index under a wss:// one. (Two wss:// clients in one process still
	 * leak the earlier one's; lws 4.2+ keeps the pointer in the vhost.) */
	info.options = LWS_SERVER_OPTION_GLIB | (impl->url.tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
	info.foreign_loops = foreign;
	/* the v1 join request travels in the request line: room for a large offer */
	info.pt_serv_buf_size = 64 * 1024;
	info.max_http_header_data = 8192;
	info.timeout_secs = (impl->join_timeout_ms + 999) / 1000;
	info.connect_timeout_secs = (impl->join_timeout_ms + 999) / 1000;
	impl->lws = lws_create_context(&info);
	if (impl->lws == NULL) {
		/* with LWS_WITH_EVLIB_PLUGINS lws dlopens libwebsockets-evlib_glib.so here */
		g_log(G_LOG_DOMAIN_SIGNAL, G_LOG_LEVEL_WARNING,
		      "cannot create the libwebsockets context on the glib loop "
		      "(is libwebsockets-evlib-glib installed?)");
		alto_signal_client_destroy((struct alto_signal_client *)impl);
		errno = EIO;
		return NULL;
	}

	/* the first attempt starts from the loop, so its events do too */
	impl->state = STATE_BACKOFF;
	deadline_arm(impl->retry_timer, 0);
	return (struct alto_signal_client *)impl;
}

static void destroy_now(struct impl *impl)
{
	conn_abandon(impl->conn);
	if (impl->lws)
		lws_context_destroy(impl->lws);
	deadline_free(&impl->retry_timer);
	deadline_free(&impl->join_timer);
	deadline_free(&impl->ping_timer);
	deadline_free(&impl->ping_deadline);
	deadline_free(&impl->leave_timer);
	deadline_free(&impl->left_notify);
	deadline_free(&impl->destroy_idle);
	if (impl->lws_loop)
		g_main_loop_unref(impl->lws_loop);
	alto_room_free(impl->room);
	if (impl->token) {
		memset(impl->token, 0, strlen(impl->token));
		g_free(impl->token);
	}
	g_free(impl->url_text);
	g_free(impl->metadata);
	g_free(impl->os_version);
	g_free(impl->retry_delays);
	g_free(impl->left_message);
	g_main_context_unref(impl->ctx);
	g_free(impl);
}

static gboolean on_destroy_idle(gpointer data)
{
	destroy_now(data);
	return G_SOURCE_REMOVE;
}

void alto_signal_client_destroy(struct alto_signal_client *client)
{
	struct impl *impl = (struct impl *)client;

	if (impl == NULL)
		return;
	if (impl->in_event > 0) {
		/* inside one of our callbacks: finish it first */
		if (!impl->destroy_pending) {
			impl->destroy_pending = true;
			impl->state = STATE_ENDED;
			impl->events = NULL;
			impl->destroy_idle = g_idle_source_new();
			g_source_set_callback(impl->destroy_idle, on_destroy_idle, impl, NULL);
			g_source_attach(impl->destroy_idle, impl->ctx);
		}
		return;
	}
	destroy_now(impl);
}

int alto_signal_client_leave(struct alto_signal_client *client)
{
	struct impl *impl = (struct impl *)client;
	Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
	Livekit__LeaveRequest leave = LIVEKIT__LEAVE_REQUEST__INIT;

	g_return_val_if_fail(impl != NULL, -EINVAL);
	if (impl->state == STATE_ENDED || impl->state == STATE_LEAVING)
		return 0;
	leave.reason = LIVEKIT__DISCONNECT_REASON__CLIENT_INITIATED;
	leave.action = LIVEKIT__LEAVE_REQUEST__ACTION__DISCONNECT;
	req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_LEAVE;
	req.leave = &leave;
	if (impl->conn && queue_request(impl, &req) == 0) {
		impl->conn->close_when_flushed = true;
		impl->state = STATE_LEAVING;
		stop_session_timers(impl);
		deadline_disarm(impl->retry_timer);
		deadline_arm(impl->leave_timer, LEAVE_TIMEOUT_MS);
		return 0;
	}
	end_session(impl, ALTO_SIGNAL_END_CLIENT, ALTO_DISCONNECT_CLIENT_INITIATED, 0, "left the room");
	return 0;
}

static int session_ready(struct impl *impl)
{
	return impl->state == STATE_CONNECTED ? 0 : -ENOTCONN;
}

static int send_sd(struct impl *impl, bool offer, const char *sdp, uint32_t id)
{
	Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
	Livekit__SessionDescription sd = LIVEKIT__SESSION_DESCRIPTION__INIT;
	int res;

	if (sdp == NULL)
		return -EINVAL;
	if ((res = session_ready(impl)) < 0)
		return res;
	sd.type = (char *)(offer ? "offer" : "answer");
	sd.sdp = (char *)sdp;
	sd.id = id;
	req.message_case = offer ? LIVEKIT__SIGNAL_REQUEST__MESSAGE_OFFER : LIVEKIT__SIGNAL_REQUEST__MESSAGE_ANSWER;
	if (offer)
		req.offer = &sd;
	else
		req.answer = &sd;
	return queue_request(impl, &req);
}

int alto_signal_client_send_offer(struct alto_signal_client *client, const char *sdp, uint32_t id)
{
	g_return_val_if_fail(client != NULL, -EINVAL);
	return send_sd((struct impl *)client, true, sdp, id);
}

int alto_signal_client_send_answer(struct alto_signal_client *client, const char *sdp, uint32_t id)
{
	g_return_val_if_fail(client != NULL, -EINVAL);
	return send_sd((struct impl *)client, false, sdp, id);
}

int alto_signal_client_send_trickle(struct alto_signal_client *client, const char *candidate_init_json,
				    enum alto_signal_target target, bool final)
{
	struct impl *impl = (struct impl *)client;
	Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
	Livekit__TrickleRequest t = LIVEKIT__TRICKLE_REQUEST__INIT;
	int res;

	g_return_val_if_fail(impl != NULL, -EINVAL);
	if (candidate_init_json == NULL)
		return -EINVAL;
	if ((res = session_ready(impl)) < 0)
		return res;
	t.candidateinit = (char *)candidate_init_json;
	t.target = (Livekit__SignalTarget)target;
	t.final = final;
	req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_TRICKLE;
	req.trickle = &t;
	return queue_request(impl, &req);
}

int alto_signal_client_add_track(struct alto_signal_client *client, const struct alto_add_track *track)
{
	struct impl *impl = (struct impl *)client;
	Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
	Livekit__AddTrackRequest at = LIVEKIT__ADD_TRACK_REQUEST__INIT;
	Livekit__AudioTrackFeature features[2];
	int res;

	g_return_val_if_fail(impl != NULL, -EINVAL);
	if (track == NULL || track->cid == NULL || track->cid[0] == '\0')
		return -EINVAL;
	if ((res = session_ready(impl)) < 0)
		return res;
	at.cid = (char *)track->cid;
	at.name = (char *)(track->name ? track->name : "");
	at.type = (Livekit__TrackType)track->type;
	at.source = (Livekit__TrackSource)track->source;
	at.muted = track->muted;
	at.disable_red = track->disable_red;
	at.stream = (char *)(track->stream ? track->stream : "");
	at.n_audio_features = 0;
	if (track->stereo)
		features[at.n_audio_features++] = LIVEKIT__AUDIO_TRACK_FEATURE__TF_STEREO;
	if (track->no_dtx)
		features[at.n_audio_features++] = LIVEKIT__AUDIO_TRACK_FEATURE__TF_NO_DTX;
	at.audio_features = features;
	req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_ADD_TRACK;
	req.add_track = &at;
	return queue_request(impl, &req);
}

int alto_signal_client_mute_track(struct alto_signal_client *client, const char *track_sid, bool muted)
{
	struct impl *impl = (struct impl *)client;
	Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
	Livekit__MuteTrackRequest m = LIVEKIT__MUTE_TRACK_REQUEST__INIT;
	int res;

	g_return_val_if_fail(impl != NULL, -EINVAL);
	if (track_sid == NULL)
		return -EINVAL;
	if ((res = session_ready(impl)) < 0)
		return res;
	m.sid = (char *)track_sid;
	m.muted = muted;
	req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_MUTE;
	req.mute = &m;
	return queue_request(impl, &req);
}

int alto_signal_client_update_subscription(struct alto_signal_client *client,
					   const char *const *track_sids, size_t n, bool subscribe)
{
	struct impl *impl = (struct impl *)client;
	Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
	Livekit__UpdateSubscription u = LIVEKIT__UPDATE_SUBSCRIPTION__INIT;
	int res;

	g_return_val_if_fail(impl != NULL, -EINVAL);
	if (n > 0 && track_sids == NULL)
		return -EINVAL;
	if ((res = session_ready(impl)) < 0)
		return res;
	u.track_sids = (char **)track_sids;
	u.n_track_sids = n;
	u.subscribe = subscribe;
	req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_SUBSCRIPTION;
	req.subscription = &u;
	return queue_request(impl, &req);
}

static Livekit__SessionDescription *sd_to_pb(Livekit__SessionDescription *pb,
					     const struct alto_session_description *sd)
{
	if (sd == NULL)
		return NULL;
	livekit__session_description__init(pb);
	pb->type = (char *)(sd->type ? sd->type : "");
	pb->sdp = (char *)(sd->sdp ? sd->sdp : "");
	pb->id = sd->id;
	return pb;
}

int alto_signal_client_send_sync_state(struct alto_signal_client *client, const struct alto_sync_state *state)
{
	struct impl *impl = (struct impl *)client;
	Livekit__SignalRequest req = LIVEKIT__SIGNAL_REQUEST__INIT;
	Livekit__SyncState ss = LIVEKIT__SYNC_STATE__INIT;
	Livekit__SessionDescription answer, offer;
	Livekit__UpdateSubscription sub = LIVEKIT__UPDATE_SUBSCRIPTION__INIT;
	Livekit__TrackPublishedResponse *tp = NULL, **tpp = NULL;
	Livekit__TrackInfo *ti = NULL;
	size_t i;
	int res;

	g_return_val_if_fail(impl != NULL, -EINVAL);
	if (state == NULL || (state->n_published > 0 && (state->published == NULL || state->published_cids == NULL)))
		return -EINVAL;
	if ((res = session_ready(impl)) < 0)
		return res;
	ss.answer = sd_to_pb(&answer, state->answer);
	ss.offer = sd_to_pb(&offer, state->offer);
	sub.subscribe = true;
	sub.track_sids = (char **)state->subscribed_sids;
	sub.n_track_sids = state->subscribed_sids ? state->n_subscribed : 0;
	ss.subscription = &sub;
	if (state->n_published > 0) {
		tp = g_new0(Livekit__TrackPublishedResponse, state->n_published);
		tpp = g_new0(Livekit__TrackPublishedResponse *, state->n_published);
		ti = g_new0(Livekit__TrackInfo, state->n_published);
		for (i = 0; i < state->n_published; i++) {
			const struct alto_track_info *t = &state->published[i];
			livekit__track_published_response__init(&tp[i]);
			livekit__track_info__init(&ti[i]);
			ti[i].sid = (char *)(t->sid ? t->sid : "");
			ti[i].name = (char *)(t->name ? t->name : "");
			ti[i].type = (Livekit__TrackType)t->type;
			ti[i].source = (Livekit__TrackSource)t->source;
			ti[i].muted = t->muted;
			ti[i].mime_type = (char *)(t->mime_type ? t->mime_type : "");
			ti[i].mid = (char *)(t->mid ? t->mid : "");
			tp[i].cid = (char *)(state->published_cids[i] ? state->published_cids[i] : "");
			tp[i].track = &ti[i];
			tpp[i] = &tp[i];
		}
		ss.publish_tracks = tpp;
		ss.n_publish_tracks = state->n_published;
	}
	req.message_case = LIVEKIT__SIGNAL_REQUEST__MESSAGE_SYNC_STATE;
	req.sync_state = &ss;
	res = queue_request(impl, &req);
	g_free(tp);
	g_free(tpp);
	g_free(ti);
	return res;
}

int alto_signal_client_reconnect(struct alto_signal_client *client, bool full, enum alto_reconnect_reason reason)
{
	struct impl *impl = (struct impl *)client;

	g_return_val_if_fail(impl != NULL, -EINVAL);
	if (impl->state != STATE_CONNECTED)
		return impl->state == STATE_ENDED || impl->state == STATE_LEAVING ? -ENOTCONN : 0;
	impl->next_is_resume = !full;
	impl->reconnect_reason = reason;
	if (session_stable(impl))
		impl->attempt = 0;
	schedule_retry(impl, full ? "full reconnect requested" : "resume requested");
	return 0;
}

const struct alto_participant_info *alto_signal_client_get_self(struct alto_signal_client *client)
{
	return client ? alto_room_self(((struct impl *)client)->room) : NULL;
}

const struct alto_room_info *alto_signal_client_get_room(struct alto_signal_client *client)
{
	return client ? alto_room_info(((struct impl *)client)->room) : NULL;
}

size_t alto_signal_client_get_participants(struct alto_signal_client *client,
					   const struct alto_participant_info *const **participants)
{
	if (client == NULL) {
		if (participants)
			*participants = NULL;
		return 0;
	}
	return alto_room_participants(((struct impl *)client)->room, participants);
}

const struct alto_participant_info *alto_signal_client_find_participant(struct alto_signal_client *client,
									 const char *sid)
{
	return client ? alto_room_find(((struct impl *)client)->room, sid) : NULL;
}

bool alto_signal_client_is_single_pc(struct alto_signal_client *client)
{
	return client ? !((struct impl *)client)->use_legacy : false;
}

uint32_t alto_signal_client_get_rtt(struct alto_signal_client *client)
{
	return client ? ((struct impl *)client)->rtt_ms : 0;
}
