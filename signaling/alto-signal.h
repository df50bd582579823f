/* alto's LiveKit signaling client.
 *
 * One client joins one room through one WebSocket (libwebsockets, on the glib
 * event loop of the GMainContext it is given), keeps the room state
 * (participants, their tracks, speakers, connection quality), keeps the
 * session alive (ping_req/pong_resp, ping timeout), resumes or rejoins after a
 * loss with exponential backoff and jitter, and turns every server message
 * into a plain C event. Nothing of libwebsockets or protobuf-c shows here.
 *
 * Threads: everything runs on the thread that iterates the GMainContext given
 * to alto_signal_client_new(). Every event callback is called on that thread,
 * and every function here must be called on it too (none is thread-safe).
 * Events are never emitted from inside a request call: a request only queues.
 *
 * Lifetime of event data: every pointer handed to an event is owned by the
 * client and valid only during the callback; copy what you keep. The current
 * room state can be read at any time with the alto_signal_client_get_*()
 * functions (same validity rule: until the next event or request).
 *
 * Return values: 0 or a negative errno (-EINVAL bad argument, -ENOTCONN no
 * session to send on, -ENOMEM).
 */
#ifndef ALTO_SIGNAL_H
#define ALTO_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ values
 * Numeric values are LiveKit's protocol values (livekit_models.proto). */

enum alto_signal_mode {
	ALTO_SIGNAL_MODE_AUTO = 0,      /* /rtc/v1 (single PC), /rtc (legacy) when v1 answers 404 */
	ALTO_SIGNAL_MODE_LEGACY = 1,    /* /rtc only: publisher + subscriber PCs */
	ALTO_SIGNAL_MODE_SINGLE_PC = 2, /* /rtc/v1 only, no fallback */
};

enum alto_signal_target {
	ALTO_SIGNAL_TARGET_PUBLISHER = 0,
	ALTO_SIGNAL_TARGET_SUBSCRIBER = 1,
};

enum alto_track_type {
	ALTO_TRACK_TYPE_AUDIO = 0,
	ALTO_TRACK_TYPE_VIDEO = 1,
	ALTO_TRACK_TYPE_DATA = 2,
};

enum alto_track_source {
	ALTO_TRACK_SOURCE_UNKNOWN = 0,
	ALTO_TRACK_SOURCE_CAMERA = 1,
	ALTO_TRACK_SOURCE_MICROPHONE = 2,
	ALTO_TRACK_SOURCE_SCREEN_SHARE = 3,
	ALTO_TRACK_SOURCE_SCREEN_SHARE_AUDIO = 4,
};

enum alto_participant_state {
	ALTO_PARTICIPANT_JOINING = 0,
	ALTO_PARTICIPANT_JOINED = 1,
	ALTO_PARTICIPANT_ACTIVE = 2,
	ALTO_PARTICIPANT_DISCONNECTED = 3,
};

enum alto_participant_kind {
	ALTO_PARTICIPANT_STANDARD = 0,
	ALTO_PARTICIPANT_INGRESS = 1,
	ALTO_PARTICIPANT_EGRESS = 2,
	ALTO_PARTICIPANT_SIP = 3,
	ALTO_PARTICIPANT_AGENT = 4,
};

enum alto_connection_quality {
	ALTO_QUALITY_POOR = 0,
	ALTO_QUALITY_GOOD = 1,
	ALTO_QUALITY_EXCELLENT = 2,
	ALTO_QUALITY_LOST = 3,
};

/* LiveKit's DisconnectReason (values past 16 may appear; print them as numbers). */
enum alto_disconnect_reason {
	ALTO_DISCONNECT_UNKNOWN = 0,
	ALTO_DISCONNECT_CLIENT_INITIATED = 1,
	ALTO_DISCONNECT_DUPLICATE_IDENTITY = 2,
	ALTO_DISCONNECT_SERVER_SHUTDOWN = 3,
	ALTO_DISCONNECT_PARTICIPANT_REMOVED = 4,
	ALTO_DISCONNECT_ROOM_DELETED = 5,
	ALTO_DISCONNECT_STATE_MISMATCH = 6,
	ALTO_DISCONNECT_JOIN_FAILURE = 7,
	ALTO_DISCONNECT_MIGRATION = 8,
	ALTO_DISCONNECT_SIGNAL_CLOSE = 9,
	ALTO_DISCONNECT_ROOM_CLOSED = 10,
	ALTO_DISCONNECT_USER_UNAVAILABLE = 11,
	ALTO_DISCONNECT_USER_REJECTED = 12,
	ALTO_DISCONNECT_SIP_TRUNK_FAILURE = 13,
	ALTO_DISCONNECT_CONNECTION_TIMEOUT = 14,
	ALTO_DISCONNECT_MEDIA_FAILURE = 15,
	ALTO_DISCONNECT_AGENT_ERROR = 16,
};

enum alto_reconnect_reason {
	ALTO_RECONNECT_UNKNOWN = 0,
	ALTO_RECONNECT_SIGNAL_DISCONNECTED = 1,
	ALTO_RECONNECT_PUBLISHER_FAILED = 2,
	ALTO_RECONNECT_SUBSCRIBER_FAILED = 3,
};

enum alto_client_setting {
	ALTO_SETTING_UNSET = 0,
	ALTO_SETTING_DISABLED = 1,
	ALTO_SETTING_ENABLED = 2,
};

/* Short lower-case names for logs and JSON ("microphone", "excellent",
 * "duplicate_identity", ...); never NULL ("unknown" for unknown values). */
const char *alto_track_source_name(int source);
const char *alto_track_type_name(int type);
const char *alto_connection_quality_name(int quality);
const char *alto_disconnect_reason_name(int reason);
const char *alto_participant_kind_name(int kind);

/* ------------------------------------------------------------------ state */

struct alto_track_info {
	const char *sid;                /* "TR_..." */
	const char *name;
	const char *mime_type;          /* "audio/opus", may be "" */
	const char *mid;                /* may be "" */
	const char *stream;             /* may be "" */
	enum alto_track_type type;
	enum alto_track_source source;
	bool muted;
	bool stereo;
	bool disable_red;
};

struct alto_participant_info {
	const char *sid;                /* "PA_..." */
	const char *identity;
	const char *name;               /* display name, may be "" */
	const char *metadata;
	enum alto_participant_state state;
	enum alto_participant_kind kind;
	uint32_t version;
	int64_t joined_at;              /* seconds since the epoch */
	bool can_publish;
	bool can_subscribe;
	size_t n_tracks;
	const struct alto_track_info *tracks;
	/* live state from speakers/quality updates */
	bool speaking;
	float audio_level;              /* 0..1 */
	enum alto_connection_quality quality;
	float quality_score;
};

struct alto_room_info {
	const char *sid;
	const char *name;
	const char *metadata;
	uint32_t num_participants;
	uint32_t num_publishers;
	uint32_t max_participants;
	int64_t creation_time;
};

struct alto_ice_server {
	size_t n_urls;
	const char *const *urls;        /* "stun:..", "turn:..?transport=udp", "turns:.." */
	const char *username;
	const char *credential;         /* a secret: never log it */
};

struct alto_join_info {
	bool rejoin;                    /* a full reconnect: build new peer connections */
	bool single_pc;                 /* joined through /rtc/v1 (one PC, the client offers) */
	const struct alto_room_info *room;
	const struct alto_participant_info *self;
	size_t n_participants;          /* the remote participants, in join order */
	const struct alto_participant_info *const *participants;
	size_t n_ice_servers;
	const struct alto_ice_server *ice_servers;
	bool subscriber_primary;
	bool fast_publish;
	enum alto_client_setting force_relay;
	uint32_t ping_interval_s;
	uint32_t ping_timeout_s;
	const char *server_version;
	const char *server_region;
	const char *server_node_id;
	int32_t server_protocol;
	const char *alternative_url;    /* "" unless the server redirects */
};

struct alto_resume_info {
	bool single_pc;
	size_t n_ice_servers;
	const struct alto_ice_server *ice_servers;
	enum alto_client_setting force_relay;
};

struct alto_mid_track {
	const char *mid;
	const char *track_id;           /* "TR_..." */
};

struct alto_session_description {
	const char *type;               /* "offer" / "answer" */
	const char *sdp;
	uint32_t id;
	size_t n_mid_to_track;          /* single-PC answers map recvonly mids to tracks */
	const struct alto_mid_track *mid_to_track;
};

struct alto_speaker {
	const char *sid;
	const char *identity;
	float level;
	bool is_self;
};

struct alto_quality_update {
	const char *sid;
	const char *identity;
	enum alto_connection_quality quality;
	float score;
	bool is_self;
};

struct alto_reconnect_status {
	unsigned attempt;               /* 1 for the first retry after a loss */
	uint32_t delay_ms;              /* before this attempt starts */
	bool full;                      /* true: full rejoin, false: resume */
	const char *reason;             /* why: "signal connection lost: ...", no secrets */
};

enum alto_signal_end {
	ALTO_SIGNAL_END_CLIENT = 0,     /* we left (alto_signal_client_leave) */
	ALTO_SIGNAL_END_REMOVED,        /* the server said leave{DISCONNECT} (see reason) */
	ALTO_SIGNAL_END_UNAUTHORIZED,   /* 401/403: token refused */
	ALTO_SIGNAL_END_REFUSED,        /* 400/404 or not a LiveKit server */
	ALTO_SIGNAL_END_UNREACHABLE,    /* max_retries consecutive attempts failed */
	ALTO_SIGNAL_END_ERROR,          /* internal error (out of memory, lws failure), or a join
	                                 * request too large to send (see the message); not retried */
};

struct alto_left_info {
	enum alto_signal_end end;
	enum alto_disconnect_reason reason;  /* the server's reason for END_REMOVED */
	unsigned http_status;           /* the refusing HTTP status, else 0 */
	const char *message;            /* one human sentence, no secrets */
};

/* ------------------------------------------------------------------ events */

/* The first offer of a single-PC join (JoinRequest.publisher_offer). */
struct alto_join_offer {
	const char *sdp;                /* copied by the client; NULL: join without offer */
	uint32_t id;                    /* the offer id (1 for a fresh peer connection) */
};

#define ALTO_VERSION_SIGNAL_EVENTS 0
struct alto_signal_events {
	uint32_t version;               /* ALTO_VERSION_SIGNAL_EVENTS */

	/* Before each full (re)join through /rtc/v1: fill *offer to put a
	 * publisher offer into the JoinRequest (the server answers it after
	 * `join`). Leave it zeroed for a media-less join. single_pc is false
	 * (and this is not called) for legacy joins. */
	void (*join_offer)(void *data, bool rejoin, struct alto_join_offer *offer);

	/* Session: joined (first time and after every full rejoin, after the
	 * room-state diff events of the rejoin), resumed (same participant,
	 * restart ICE), reconnecting (before each retry), left (terminal: the
	 * client does nothing more and may be destroyed). */
	void (*joined)(void *data, const struct alto_join_info *info);
	void (*resumed)(void *data, const struct alto_resume_info *info);
	void (*reconnecting)(void *data, const struct alto_reconnect_status *status);
	void (*left)(void *data, const struct alto_left_info *info);

	/* Room state. Participants of the first JoinResponse come with `joined`
	 * only; everything after that is reported as it changes. Updates older
	 * than the version held are dropped. */
	void (*room_updated)(void *data, const struct alto_room_info *room);
	void (*participant_joined)(void *data, const struct alto_participant_info *p);
	void (*participant_updated)(void *data, const struct alto_participant_info *p);
	void (*participant_left)(void *data, const struct alto_participant_info *p);
	void (*track_published)(void *data, const struct alto_participant_info *p,
				const struct alto_track_info *track);
	void (*track_unpublished)(void *data, const struct alto_participant_info *p,
				  const struct alto_track_info *track);
	/* track->muted tells which way */
	void (*track_muted)(void *data, const struct alto_participant_info *p,
			    const struct alto_track_info *track);
	void (*self_updated)(void *data, const struct alto_participant_info *self);
	/* the active speakers now, loudest first (n may be 0) */
	void (*speakers)(void *data, const struct alto_speaker *active, size_t n);
	void (*quality)(void *data, const struct alto_quality_update *updates, size_t n);

	/* Our own tracks: add_track answered, server-side unpublish, server mute. */
	void (*local_track_published)(void *data, const char *cid, const struct alto_track_info *track);
	void (*local_track_unpublished)(void *data, const char *track_sid);
	void (*local_track_muted)(void *data, const char *track_sid, bool muted);
	void (*track_subscribed)(void *data, const char *track_sid);
	void (*subscription_failed)(void *data, const char *track_sid, int error);

	/* Negotiation (for rtc/). Legacy: offers come for the SUBSCRIBER PC and
	 * must be answered with the same id; answers are for our PUBLISHER
	 * offers. Single PC: only answers (to our offers) come. */
	void (*offer)(void *data, const struct alto_session_description *sd);
	void (*answer)(void *data, const struct alto_session_description *sd);
	void (*trickle)(void *data, const char *candidate_init_json,
			enum alto_signal_target target, bool final);
	/* single PC: add recvonly transceivers and offer again (even for 0, 0) */
	void (*media_sections_requirement)(void *data, uint32_t n_audios, uint32_t n_videos);

	void (*rtt)(void *data, uint32_t rtt_ms);
	void (*request_response)(void *data, uint32_t request_id, int reason, const char *message);
};

/* ------------------------------------------------------------------ client */

struct alto_signal_config {
	const char *url;                /* ws://, wss://, http://, https://host[:port][/prefix] */
	const char *token;              /* access token; the refreshed one replaces it in memory */
	enum alto_signal_mode mode;
	bool insecure;                  /* wss: accept any certificate (tests only) */
	bool no_auto_subscribe;         /* ConnectionSettings.auto_subscribe = false */
	int max_retries;                /* consecutive failed attempts before giving up; < 0: forever */
	const uint32_t *retry_delays_ms;/* NULL: 0, 250, 500, 1000 (the last repeats) */
	size_t n_retry_delays;
	uint32_t retry_jitter_percent;  /* used with retry_delays_ms; default table: 20 */
	uint32_t join_timeout_ms;       /* socket + join response; 0: 10000 */
	const char *metadata;           /* JoinRequest.metadata, NULL: the token's */
};

struct alto_signal_client;

/* Creates the client; it connects at once (the first events come from the
 * context's loop). ctx: the GMainContext whose thread runs the network
 * (g_main_context_ref'd). cfg is copied. Returns NULL with errno set. */
struct alto_signal_client *alto_signal_client_new(GMainContext *ctx,
						  const struct alto_signal_config *cfg,
						  const struct alto_signal_events *events,
						  void *data);

/* Closes the socket at once (no leave: call alto_signal_client_leave first
 * and wait for `left` to leave politely) and frees everything. Must not be
 * called from inside one of the client's own event callbacks. */
void alto_signal_client_destroy(struct alto_signal_client *client);

/* Sends leave{CLIENT_INITIATED, DISCONNECT}, closes the socket with 1000 and
 * then emits `left` (END_CLIENT). Without a live session, emits `left` at once
 * (from the loop). A second call does nothing. */
int alto_signal_client_leave(struct alto_signal_client *client);

/* Negotiation. Legacy: offers are the PUBLISHER PC's, answers the
 * SUBSCRIBER's (echo the server offer's id). Single PC: offers only. */
int alto_signal_client_send_offer(struct alto_signal_client *client, const char *sdp, uint32_t id);
int alto_signal_client_send_answer(struct alto_signal_client *client, const char *sdp, uint32_t id);
/* candidate_init_json: an RTCIceCandidateInit JSON object; final: end of candidates */
int alto_signal_client_send_trickle(struct alto_signal_client *client, const char *candidate_init_json,
				    enum alto_signal_target target, bool final);

struct alto_add_track {
	const char *cid;                /* the msid track id of the local track */
	const char *name;
	enum alto_track_type type;
	enum alto_track_source source;
	bool muted;
	bool disable_red;
	bool stereo;                    /* AudioTrackFeature TF_STEREO */
	bool no_dtx;                    /* AudioTrackFeature TF_NO_DTX */
	const char *stream;             /* NULL: the server's default grouping */
};
int alto_signal_client_add_track(struct alto_signal_client *client, const struct alto_add_track *track);
int alto_signal_client_mute_track(struct alto_signal_client *client, const char *track_sid, bool muted);
int alto_signal_client_update_subscription(struct alto_signal_client *client,
					   const char *const *track_sids, size_t n, bool subscribe);

/* After a resume: the last answer/offer and the published tracks. */
struct alto_sync_state {
	const struct alto_session_description *answer;  /* legacy: last subscriber answer; single PC: last answer received */
	const struct alto_session_description *offer;   /* legacy: last server offer; single PC: last offer sent */
	size_t n_published;
	const char *const *published_cids;              /* with their sids below */
	const struct alto_track_info *published;
	size_t n_subscribed;                            /* subscribed track sids */
	const char *const *subscribed_sids;
};
int alto_signal_client_send_sync_state(struct alto_signal_client *client, const struct alto_sync_state *state);

/* The media side asks for a resume (ICE failed, signal fine) or a full
 * rejoin (a resume is not enough). Emits reconnecting first. */
int alto_signal_client_reconnect(struct alto_signal_client *client, bool full,
				 enum alto_reconnect_reason reason);

/* Current state (NULL / 0 before the first join). */
const struct alto_participant_info *alto_signal_client_get_self(struct alto_signal_client *client);
const struct alto_room_info *alto_signal_client_get_room(struct alto_signal_client *client);
size_t alto_signal_client_get_participants(struct alto_signal_client *client,
					   const struct alto_participant_info *const **participants);
const struct alto_participant_info *alto_signal_client_find_participant(struct alto_signal_client *client,
									 const char *sid);
bool alto_signal_client_is_single_pc(struct alto_signal_client *client);
uint32_t alto_signal_client_get_rtt(struct alto_signal_client *client);

#ifdef __cplusplus
}
#endif

#endif /* ALTO_SIGNAL_H */
