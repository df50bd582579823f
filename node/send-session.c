/* The send path inside the room session. See send-session.h.
 *
 * Threads: send_session_new/destroy and the *_main() calls (posted through
 * the session's handoff) on the PipeWire main loop; every other function on
 * the network thread. The ring is the only thing both touch (lock-free),
 * plus `stream`, which only the main loop touches. */
#define G_LOG_DOMAIN "alto-send"
#include "send-session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "send-encoder.h"
#include "send-ring.h"
#include "send-stream.h"

#define PUBLISH_TIMEOUT_MS	10000
#define TRACK_NAME		"microphone"

struct send_session {
	/* read-only after new() */
	struct send_session_config cfg;		/* strings owned */
	struct pw_core *core;
	struct alto_handoff *handoff;
	GMainContext *net_context;
	const struct send_session_host *host;
	void *host_data;
	struct alto_send_ring *ring;
	char cid[48];

	struct pw_properties *stream_props;	/* NULL: none */

	/* main loop */
	struct alto_send_stream *stream;
	char *stream_node_name;			/* NULL: the stream's default */
	char *stream_description;		/* NULL: the stream's default */

	/* network thread */
	struct alto_signal_client *client;
	struct alto_send_encoder *enc;
	bool joined;
	bool single_pc;
	bool allowed;			/* publishing: configured and permitted */
	bool said_listen_only;
	bool stream_requested;
	bool add_requested;		/* AddTrackRequest out, no answer yet */
	bool refused;			/* no answer in time: given up */
	GSource *publish_timer;
	char *track_sid;
	struct alto_track_info track;	/* the published track, for sync_state */
	bool room_muted;		/* what the room was told */
	uint32_t sending_ssrc;		/* the encoder sends on this SSRC (0: not) */

	struct alto_pc *pc;		/* single PC: the session's (not owned) */
	bool section_added;		/* our section is on pc / pub_pc */

	struct alto_pc *pub_pc;		/* legacy: the publisher PC (owned) */
	bool pub_offer_outstanding;
	bool pub_reoffer;
	bool pub_failed_reported;
};

static void say(struct send_session *ss, int res, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void say(struct send_session *ss, int res, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_info("%s", msg);
	if (ss->host && ss->host->message)
		ss->host->message(ss->host_data, res, msg);
	g_free(msg);
}

/* ------------------------------------------------------------------ main loop */

struct main_call {
	struct send_session *ss;
	bool muted;
};

static void on_stream_node_id(void *data, uint32_t node_id)
{
	struct send_session *ss = data;

	if (ss->host && ss->host->stream_ready)
		ss->host->stream_ready(ss->host_data, alto_send_stream_node_name(ss->stream), node_id);
}

static void on_stream_source_linked(void *data, const char *name, uint32_t id)
{
	g_info("send stream linked from %s (node %u)", name, id);
}

static void on_stream_error(void *data, int res, const char *message)
{
	say(data, res, "%s", message);
}

static const struct alto_send_stream_events stream_events = {
	.version = ALTO_VERSION_SEND_STREAM_EVENTS,
	.node_id = on_stream_node_id,
	.source_linked = on_stream_source_linked,
	.error = on_stream_error,
};

/* main loop */
static void create_stream_main(void *owner, void *item)
{
	struct main_call *c = item;
	struct send_session *ss = c->ss;
	struct alto_send_stream_config cfg = {
		.room = ss->cfg.room,
		.node_name = ss->stream_node_name,
		.description = ss->stream_description,
		.source = ss->cfg.source,
		.muted = alto_send_ring_get_muted(ss->ring),
		.props = ss->stream_props ? &ss->stream_props->dict : NULL,
	};

	(void)owner;
	if (ss->stream || ss->core == NULL)
		return;
	ss->stream = alto_send_stream_new(ss->core, ss->ring, &cfg, &stream_events, ss);
	if (ss->stream == NULL)
		say(ss, -errno, "cannot create the send stream: %s: not publishing", g_strerror(errno));
}

/* main loop: a mute from the room shows on the stream */
static void set_stream_muted_main(void *owner, void *item)
{
	struct main_call *c = item;

	(void)owner;
	if (c->ss->stream)
		alto_send_stream_set_muted(c->ss->stream, c->muted);
}

static void post_main(struct send_session *ss, alto_handoff_func_t func, bool muted)
{
	struct main_call *c = g_new0(struct main_call, 1);
	int res;

	c->ss = ss;
	c->muted = muted;
	if ((res = alto_handoff_post(ss->handoff, func, c, g_free)) < 0)
		g_debug("hand-off to the main loop failed: %s", g_strerror(-res));
}

/* ------------------------------------------------------------------ sending */

static struct alto_pc *send_pc(struct send_session *ss)
{
	return ss->single_pc ? ss->pc : ss->pub_pc;
}

static int on_enc_send_rtp(void *data, const uint8_t *buf, size_t len, uint64_t capture_ns)
{
	struct send_session *ss = data;
	struct alto_pc *pc = send_pc(ss);

	(void)capture_ns;
	return pc ? alto_pc_send_rtp(pc, buf, len) : -ENOTCONN;
}

static int on_enc_send_rtcp(void *data, const uint8_t *buf, size_t len)
{
	struct send_session *ss = data;
	struct alto_pc *pc = send_pc(ss);

	return pc ? alto_pc_send_rtcp(pc, buf, len) : -ENOTCONN;
}

/* The send stream's mute changed: tell the room (once published). */
static void on_enc_mute_changed(void *data, bool muted)
{
	struct send_session *ss = data;
	int res;

	if (ss->track_sid == NULL)
		return;		/* the AddTrackRequest (or the next) carries it */
	if ((res = alto_signal_client_mute_track(ss->client, ss->track_sid, muted)) < 0) {
		g_info("mute request for %s not sent (%s): sent when the session is back",
		       ss->track_sid, g_strerror(-res));
		return;
	}
	g_info("microphone track %s %s", ss->track_sid, muted ? "muted" : "unmuted");
	ss->room_muted = muted;
	ss->track.muted = muted;
	alto_send_encoder_set_room_muted(ss->enc, muted);
	if (ss->host && ss->host->muted)
		ss->host->muted(ss->host_data, muted, false);
}

static const struct alto_send_encoder_events encoder_events = {
	.version = ALTO_VERSION_SEND_ENCODER_EVENTS,
	.send_rtp = on_enc_send_rtp,
	.send_rtcp = on_enc_send_rtcp,
	.mute_changed = on_enc_mute_changed,
};

/* Start or stop the encoder as the section and the connection allow. */
static void check_sending(struct send_session *ss)
{
	struct alto_pc *pc = send_pc(ss);
	struct alto_pc_media_info info;
	bool found = false;

	if (ss->enc == NULL)
		return;
	if (pc && ss->track_sid && ss->section_added && alto_pc_get_state(pc) == ALTO_PC_STATE_CONNECTED) {
		for (size_t i = 0; i < alto_pc_n_media(pc) && !found; i++) {
			if (alto_pc_get_media(pc, i, &info) == 0 && strcmp(info.local_track_id, ss->cid) == 0)
				found = true;
		}
	}
	if (found && info.local_ssrc != 0 && !info.rejected && info.opus_pt >= 0 &&
	    (info.direction == ALTO_SDP_DIRECTION_SENDONLY || info.direction == ALTO_SDP_DIRECTION_SENDRECV)) {
		struct alto_send_encoder_media media = {
			.ssrc = info.local_ssrc,
			.payload_type = (uint8_t)info.opus_pt,
			.mid_ext_id = (uint8_t)(info.ext_mid > 0 && info.ext_mid < 256 ? info.ext_mid : 0),
			.audio_level_ext_id = (uint8_t)(info.ext_audio_level > 0 && info.ext_audio_level < 256 ?
							 info.ext_audio_level : 0),
			.mid = info.mid,
		};
		if (ss->sending_ssrc == info.local_ssrc && alto_send_encoder_is_sending(ss->enc))
			return;
		int res = alto_send_encoder_start(ss->enc, &media);
		if (res < 0) {
			say(ss, res, "cannot send on section %s: %s", info.mid, g_strerror(-res));
			return;
		}
		ss->sending_ssrc = info.local_ssrc;
		return;
	}
	if (alto_send_encoder_is_sending(ss->enc))
		alto_send_encoder_stop(ss->enc);
	ss->sending_ssrc = found ? ss->sending_ssrc : 0;
}

/* ------------------------------------------------------------------ legacy publisher PC */

static void pub_negotiate(struct send_session *ss)
{
	char *sdp = NULL;
	uint32_t id = 0;
	int res;

	if (ss->pub_pc == NULL)
		return;
	if (ss->pub_offer_outstanding) {
		ss->pub_reoffer = true;
		return;
	}
	if ((res = alto_pc_create_offer(ss->pub_pc, &sdp, &id)) < 0) {
		say(ss, res, "cannot make the publisher offer: %s", g_strerror(-res));
		return;
	}
	if ((res = alto_signal_client_send_offer(ss->client, sdp, id)) < 0) {
		g_debug("publisher offer %u not sent: %s", id, g_strerror(-res));
		free(sdp);
		return;
	}
	free(sdp);
	ss->pub_offer_outstanding = true;
	ss->pub_reoffer = false;
}

static void on_pub_state(void *data, enum alto_pc_state state)
{
	struct send_session *ss = data;

	g_info("publisher peer connection %s", alto_pc_state_name(state));
	if (state == ALTO_PC_STATE_FAILED && !ss->pub_failed_reported) {
		ss->pub_failed_reported = true;
		alto_signal_client_reconnect(ss->client, false, ALTO_RECONNECT_PUBLISHER_FAILED);
	} else if (state == ALTO_PC_STATE_CONNECTED) {
		ss->pub_failed_reported = false;
	}
	check_sending(ss);
}

static void on_pub_candidate(void *data, const char *json)
{
	struct send_session *ss = data;

	if (json)
		alto_signal_client_send_trickle(ss->client, json, ALTO_SIGNAL_TARGET_PUBLISHER, false);
}

static void on_pub_rtcp(void *data, const uint8_t *buf, size_t len)
{
	struct send_session *ss = data;

	if (ss->enc)
		alto_send_encoder_handle_rtcp(ss->enc, buf, len);
}

static void on_pub_error(void *data, int res, const char *message)
{
	say(data, res, "publisher peer connection: %s", message ? message : g_strerror(-res));
}

static const struct alto_pc_events pub_events = {
	.version = ALTO_PC_EVENTS_VERSION,
	.state_changed = on_pub_state,
	.local_candidate = on_pub_candidate,
	.rtcp = on_pub_rtcp,
	.error = on_pub_error,
};

static void pub_reset(struct send_session *ss)
{
	if (ss->pub_pc) {
		alto_pc_destroy(ss->pub_pc);
		ss->pub_pc = NULL;
	}
	ss->pub_offer_outstanding = false;
	ss->pub_reoffer = false;
	if (!ss->single_pc)
		ss->section_added = false;
}

static int pub_make(struct send_session *ss, const struct alto_join_info *info)
{
	struct alto_pc_ice_server ice[16];
	struct alto_pc_config cfg = {
		.force_relay = info->force_relay == ALTO_SETTING_ENABLED,
		.cname = ss->cfg.cname,
	};
	size_t n = MIN(info->n_ice_servers, G_N_ELEMENTS(ice));

	for (size_t i = 0; i < n; i++)
		ice[i] = (struct alto_pc_ice_server){
			.urls = info->ice_servers[i].urls, .n_urls = info->ice_servers[i].n_urls,
			.username = info->ice_servers[i].username, .credential = info->ice_servers[i].credential,
		};
	cfg.ice_servers = ice;
	cfg.n_ice_servers = n;
	ss->pub_pc = alto_pc_new(ss->net_context, &cfg, &pub_events, ss);
	if (ss->pub_pc == NULL) {
		int res = -(errno ? errno : EIO);
		say(ss, res, "cannot create the publisher peer connection: %s", g_strerror(-res));
		return res;
	}
	return 0;
}

/* ------------------------------------------------------------------ publishing */

static gboolean on_publish_timeout(gpointer data)
{
	struct send_session *ss = data;

	g_source_unref(ss->publish_timer);
	ss->publish_timer = NULL;
	if (ss->track_sid || !ss->add_requested)
		return G_SOURCE_REMOVE;
	ss->add_requested = false;
	ss->refused = true;
	say(ss, -EPERM, "the server did not accept the microphone track (no answer to AddTrackRequest in %u s): "
	    "not publishing, still listening", ss->cfg.publish_timeout_ms / 1000);
	return G_SOURCE_REMOVE;
}

static void cancel_publish_timer(struct send_session *ss)
{
	if (ss->publish_timer) {
		g_source_destroy(ss->publish_timer);
		g_source_unref(ss->publish_timer);
		ss->publish_timer = NULL;
	}
}

static void request_publish(struct send_session *ss)
{
	bool muted = alto_send_ring_get_muted(ss->ring);
	struct alto_add_track req = {
		.cid = ss->cid,
		.name = TRACK_NAME,
		.type = ALTO_TRACK_TYPE_AUDIO,
		.source = ALTO_TRACK_SOURCE_MICROPHONE,
		.muted = muted,
		.disable_red = true,		/* we send plain Opus */
	};
	int res;

	if (!ss->allowed || ss->track_sid || ss->add_requested || ss->refused || ss->client == NULL)
		return;
	if ((res = alto_signal_client_add_track(ss->client, &req)) < 0) {
		g_info("AddTrackRequest not sent: %s", g_strerror(-res));
		return;
	}
	ss->add_requested = true;
	ss->room_muted = muted;
	if (ss->enc)
		alto_send_encoder_set_room_muted(ss->enc, muted);
	cancel_publish_timer(ss);
	ss->publish_timer = g_timeout_source_new(ss->cfg.publish_timeout_ms);
	g_source_set_callback(ss->publish_timer, on_publish_timeout, ss, NULL);
	g_source_attach(ss->publish_timer, ss->net_context);
	g_info("publishing the send stream as track %s%s", ss->cid, muted ? " (muted)" : "");
}

static void add_section(struct send_session *ss)
{
	struct alto_pc *pc = send_pc(ss);
	uint32_t ssrc = 0;
	int res;

	if (pc == NULL || ss->track_sid == NULL || ss->section_added)
		return;
	res = alto_pc_add_local_audio_track(pc, ss->cid, NULL, &ssrc);
	if (res < 0 && res != -EEXIST) {
		say(ss, res, "cannot add the microphone to the peer connection: %s", g_strerror(-res));
		return;
	}
	ss->section_added = true;
	g_info("track %s (%s): sendonly section, SSRC %u", ss->track_sid, ss->cid, ssrc);
	if (ss->single_pc) {
		if (ss->host && ss->host->renegotiate)
			ss->host->renegotiate(ss->host_data);
	} else {
		pub_negotiate(ss);
	}
}

static bool ensure_encoder(struct send_session *ss)
{
	struct alto_send_encoder_config cfg;

	if (ss->enc)
		return true;
	alto_send_encoder_config_default(&cfg);
	if (ss->cfg.bitrate)
		cfg.bitrate = ss->cfg.bitrate;
	cfg.cname = ss->cfg.cname;
	ss->enc = alto_send_encoder_new(ss->net_context, ss->ring, &cfg, &encoder_events, ss);
	if (ss->enc == NULL) {
		say(ss, -errno, "cannot create the encoder: %s: not publishing", g_strerror(errno));
		return false;
	}
	alto_send_encoder_set_room_muted(ss->enc, ss->room_muted);
	return true;
}

/* Publishing is configured and the token allows it: make everything. */
static void start_publishing(struct send_session *ss)
{
	if (!ensure_encoder(ss))
		return;
	ss->allowed = true;
	if (!ss->stream_requested) {
		ss->stream_requested = true;
		post_main(ss, create_stream_main, false);
	}
	request_publish(ss);
}

/* ------------------------------------------------------------------ hooks */

void send_session_set_client(struct send_session *ss, struct alto_signal_client *client)
{
	if (ss)
		ss->client = client;
}

void send_session_joined(struct send_session *ss, const struct alto_join_info *info, struct alto_pc *pc)
{
	if (ss == NULL || info == NULL)
		return;
	ss->joined = true;
	ss->single_pc = info->single_pc;
	if (info->rejoin) {
		/* a new participant: publish again on the new connection(s) */
		cancel_publish_timer(ss);
		g_clear_pointer(&ss->track_sid, g_free);
		ss->add_requested = false;
		ss->section_added = false;
		ss->sending_ssrc = 0;
		if (ss->enc)
			alto_send_encoder_stop(ss->enc);
		pub_reset(ss);
	}
	ss->pc = info->single_pc ? pc : NULL;
	if (ss->cfg.no_publish || ss->core == NULL)
		return;
	if (info->self && !info->self->can_publish) {
		if (!ss->said_listen_only) {
			ss->said_listen_only = true;
			say(ss, -EPERM, "the access token does not allow publishing (canPublish is false): listening only");
		}
		return;
	}
	if (!info->single_pc && ss->pub_pc == NULL && pub_make(ss, info) < 0)
		return;
	start_publishing(ss);
}

void send_session_self_updated(struct send_session *ss, const struct alto_participant_info *self)
{
	if (ss == NULL || self == NULL || !ss->joined || ss->allowed || ss->cfg.no_publish || ss->core == NULL)
		return;
	if (self->can_publish && (ss->single_pc || ss->pub_pc)) {
		g_info("publishing is allowed now");
		start_publishing(ss);
	}
}

void send_session_resumed(struct send_session *ss, const struct alto_resume_info *info)
{
	if (ss == NULL)
		return;
	(void)info;
	if (!ss->single_pc && ss->pub_pc) {
		/* the answer to an offer made before the outage may never come */
		ss->pub_offer_outstanding = false;
		alto_pc_restart_ice(ss->pub_pc);
		pub_negotiate(ss);
	}
	/* a mute toggled while the signal was down */
	if (ss->enc && ss->track_sid && alto_send_ring_get_muted(ss->ring) != ss->room_muted)
		on_enc_mute_changed(ss, alto_send_ring_get_muted(ss->ring));
	request_publish(ss);
}

void send_session_left(struct send_session *ss)
{
	if (ss == NULL)
		return;
	ss->joined = false;
	cancel_publish_timer(ss);
	if (ss->enc)
		alto_send_encoder_stop(ss->enc);
}

void send_session_pc_reset(struct send_session *ss)
{
	if (ss == NULL || !ss->single_pc)
		return;
	ss->pc = NULL;
	ss->section_added = false;
	ss->sending_ssrc = 0;
	if (ss->enc)
		alto_send_encoder_stop(ss->enc);
}

void send_session_pc_update(struct send_session *ss, struct alto_pc *pc)
{
	if (ss == NULL || !ss->single_pc)
		return;
	if (pc != ss->pc) {
		ss->pc = pc;
		ss->section_added = false;
		ss->sending_ssrc = 0;
		add_section(ss);
	}
	check_sending(ss);
}

void send_session_rtcp(struct send_session *ss, const uint8_t *buf, size_t len)
{
	if (ss && ss->enc)
		alto_send_encoder_handle_rtcp(ss->enc, buf, len);
}

void send_session_local_track_published(struct send_session *ss, const char *cid, const struct alto_track_info *t)
{
	if (ss == NULL || cid == NULL || t == NULL || strcmp(cid, ss->cid) != 0)
		return;
	cancel_publish_timer(ss);
	ss->add_requested = false;
	if (ss->track_sid && strcmp(ss->track_sid, t->sid) == 0)
		return;		/* the answer to a repeated request */
	g_free(ss->track_sid);
	ss->track_sid = g_strdup(t->sid);
	ss->track = (struct alto_track_info){
		.sid = ss->track_sid, .name = TRACK_NAME, .mime_type = "audio/opus", .mid = "", .stream = "",
		.type = ALTO_TRACK_TYPE_AUDIO, .source = ALTO_TRACK_SOURCE_MICROPHONE,
		.muted = ss->room_muted, .disable_red = true,
	};
	g_info("microphone published as %s", t->sid);
	if (ss->host && ss->host->published)
		ss->host->published(ss->host_data, t->sid);
	add_section(ss);
	/* muted or unmuted while the request was on its way */
	if (ss->enc && alto_send_ring_get_muted(ss->ring) != ss->room_muted)
		on_enc_mute_changed(ss, alto_send_ring_get_muted(ss->ring));
}

void send_session_local_track_unpublished(struct send_session *ss, const char *track_sid)
{
	if (ss == NULL || ss->track_sid == NULL || g_strcmp0(track_sid, ss->track_sid) != 0)
		return;
	say(ss, -ENOENT, "the server unpublished our microphone track %s: not publishing, still listening",
	    track_sid);
	g_clear_pointer(&ss->track_sid, g_free);
	ss->refused = true;
	if (ss->enc)
		alto_send_encoder_stop(ss->enc);
	if (ss->host && ss->host->published)
		ss->host->published(ss->host_data, NULL);
}

void send_session_local_track_muted(struct send_session *ss, const char *track_sid, bool muted)
{
	if (ss == NULL || ss->track_sid == NULL || g_strcmp0(track_sid, ss->track_sid) != 0)
		return;
	g_info("the room %s our microphone", muted ? "muted" : "unmuted");
	ss->room_muted = muted;
	ss->track.muted = muted;
	if (ss->enc)
		alto_send_encoder_set_room_muted(ss->enc, muted);
	/* stop (or resume) the audio now; the stream shows it from the main loop */
	alto_send_ring_set_muted(ss->ring, muted);
	post_main(ss, set_stream_muted_main, muted);
	if (ss->host && ss->host->muted)
		ss->host->muted(ss->host_data, muted, true);
}

bool send_session_answer(struct send_session *ss, const struct alto_session_description *sd)
{
	int res;

	if (ss == NULL || ss->single_pc || ss->pub_pc == NULL)
		return false;
	res = alto_pc_set_remote_answer(ss->pub_pc, sd->sdp, sd->id);
	if (res == -ESTALE)
		return true;
	if (res < 0)
		say(ss, res, "publisher answer %u refused: %s", sd->id, g_strerror(-res));
	ss->pub_offer_outstanding = false;
	if (ss->pub_reoffer)
		pub_negotiate(ss);
	check_sending(ss);
	return true;
}

bool send_session_trickle(struct send_session *ss, const char *json, enum alto_signal_target target)
{
	int res;

	if (ss == NULL || ss->single_pc || target != ALTO_SIGNAL_TARGET_PUBLISHER)
		return false;
	if (ss->pub_pc && (res = alto_pc_add_remote_candidate(ss->pub_pc, json)) < 0)
		g_debug("publisher candidate not used: %s", g_strerror(-res));
	return true;
}

size_t send_session_published(struct send_session *ss, const char **cid, struct alto_track_info *track)
{
	if (ss == NULL || ss->track_sid == NULL)
		return 0;
	*cid = ss->cid;
	*track = ss->track;
	return 1;
}

void send_session_get_stats(struct send_session *ss, struct send_session_stats *st)
{
	struct alto_send_encoder_stats es = { 0 };

	memset(st, 0, sizeof(*st));
	if (ss == NULL)
		return;
	if (ss->enc)
		alto_send_encoder_get_stats(ss->enc, &es);
	st->publishing = ss->track_sid != NULL;
	st->sending = es.sending;
	st->muted = alto_send_ring_get_muted(ss->ring);
	st->packets = es.packets;
	st->bytes = es.bytes;
	st->retransmitted = es.retransmitted;
}

/* ------------------------------------------------------------------ life cycle */

struct send_session *send_session_new(const struct send_session_config *cfg, struct pw_core *core,
		struct alto_handoff *handoff, GMainContext *net_context,
		const struct send_session_host *host, void *host_data)
{
	struct send_session *ss;

	if (cfg == NULL || handoff == NULL || net_context == NULL) {
		errno = EINVAL;
		return NULL;
	}
	ss = g_new0(struct send_session, 1);
	ss->cfg = *cfg;
	ss->cfg.room = g_strdup(cfg->room ? cfg->room : "room");
	ss->cfg.source = g_strdup(cfg->source);
	ss->cfg.cname = g_strdup(cfg->cname);
	ss->cfg.stream_props = NULL;
	if (cfg->stream_props && (ss->stream_props = pw_properties_new_dict(cfg->stream_props)) == NULL) {
		int res = errno;
		send_session_destroy(ss);
		errno = res;
		return NULL;
	}
	if (ss->cfg.publish_timeout_ms == 0)
		ss->cfg.publish_timeout_ms = PUBLISH_TIMEOUT_MS;
	ss->core = core;
	ss->handoff = handoff;
	ss->net_context = net_context;
	ss->host = host;
	ss->host_data = host_data;
	snprintf(ss->cid, sizeof(ss->cid), "alto-mic-%08x%08x", g_random_int(), g_random_int());
	if (!cfg->no_publish && core) {
		ss->ring = alto_send_ring_new(0, ALTO_SEND_FRAME_SIZE);
		if (ss->ring == NULL) {
			int res = errno;
			send_session_destroy(ss);
			errno = res;
			return NULL;
		}
		alto_send_ring_set_muted(ss->ring, cfg->start_muted);
	}
	ss->room_muted = cfg->start_muted;
	return ss;
}

void send_session_net_shutdown(struct send_session *ss)
{
	if (ss == NULL)
		return;
	cancel_publish_timer(ss);
	if (ss->enc) {
		alto_send_encoder_destroy(ss->enc);
		ss->enc = NULL;
	}
	pub_reset(ss);
	ss->pc = NULL;
}

int send_session_set_stream_names(struct send_session *ss, const char *node_name,
		const char *description)
{
	spa_return_val_if_fail(ss != NULL, -EINVAL);
	g_free(ss->stream_node_name);
	g_free(ss->stream_description);
	/* g_strdup aborts rather than fail */
	ss->stream_node_name = g_strdup(node_name);
	ss->stream_description = g_strdup(description);
	return 0;
}

void send_session_destroy(struct send_session *ss)
{
	if (ss == NULL)
		return;
	/* the stream first: no process() writes into the ring after this */
	alto_send_stream_destroy(ss->stream);
	alto_send_ring_destroy(ss->ring);
	g_free(ss->stream_node_name);
	g_free(ss->stream_description);
	g_free(ss->track_sid);
	g_free((char *)ss->cfg.room);
	g_free((char *)ss->cfg.source);
	g_free((char *)ss->cfg.cname);
	if (ss->stream_props)
		pw_properties_free(ss->stream_props);
	g_free(ss);
}
