/* alto rtc/transport: peer connection life cycle, ICE/DTLS/SRTP glue and media.
 *
 * Datagrams from ICE are told apart by their first byte (RFC 7983): 20..63 DTLS, 128..191
 * SRTP/SRTCP (STUN, 0..3, never gets here: libnice keeps it). SRTCP is told from SRTP by the
 * second byte (RFC 5761: payload types 64..95 are RTCP packet types 192..223).
 * Thread: see peer_connection.h.
 */
#define G_LOG_DOMAIN "alto.rtc.pc"

#include "peer_connection_private.h"
#include "candidate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[] = {
	[ALTO_PC_STATE_NEW] = "new",
	[ALTO_PC_STATE_CHECKING] = "checking",
	[ALTO_PC_STATE_CONNECTED] = "connected",
	[ALTO_PC_STATE_FAILED] = "failed",
	[ALTO_PC_STATE_CLOSED] = "closed",
};

const char *alto_pc_state_name(enum alto_pc_state state)
{
	if ((unsigned)state > ALTO_PC_STATE_CLOSED)
		return "unknown";
	return state_names[state];
}

void alto_pc_impl_set_str(char **slot, const char *value)
{
	g_free(*slot);
	*slot = value ? g_strdup(value) : NULL;
}

enum alto_pc_media_kind alto_pc_impl_media_kind(const char *kind_name)
{
	if (g_strcmp0(kind_name, "audio") == 0)
		return ALTO_PC_MEDIA_AUDIO;
	if (g_strcmp0(kind_name, "video") == 0)
		return ALTO_PC_MEDIA_VIDEO;
	if (g_strcmp0(kind_name, "application") == 0)
		return ALTO_PC_MEDIA_APPLICATION;
	return ALTO_PC_MEDIA_OTHER;
}

/* ---- sections ---- */

static void section_free(gpointer p)
{
	struct pc_section *s = p;
	g_free(s->mid);
	g_free(s->kind_name);
	g_free(s->proto);
	g_free(s->first_format);
	g_free(s->track_id);
	g_free(s->stream_id);
	g_free(s->remote_stream_id);
	g_free(s->remote_track_id);
	g_free(s->opus_fmtp);
	g_free(s);
}

struct pc_section *alto_pc_impl_section_new(struct alto_pc *pc, enum alto_pc_media_kind kind,
		const char *kind_name, const char *proto)
{
	struct pc_section *s = g_new0(struct pc_section, 1);
	s->kind = kind;
	s->kind_name = g_strdup(kind_name);
	s->proto = g_strdup(proto);
	s->opus_pt = -1;
	s->red_pt = -1;
	g_ptr_array_add(pc->sections, s);
	return s;
}

struct pc_section *alto_pc_impl_section(const struct alto_pc *pc, size_t index)
{
	if (index >= pc->sections->len)
		return NULL;
	return g_ptr_array_index(pc->sections, index);
}

int alto_pc_impl_transport_index(const struct alto_pc *pc)
{
	for (guint i = 0; i < pc->sections->len; i++)
		if (!alto_pc_impl_section(pc, i)->rejected)
			return (int)i;
	return -1;
}

/* A mid no section has: the m-line count as text, as browsers do, skipping taken ones. */
static char *new_mid(struct alto_pc *pc)
{
	for (guint n = pc->sections->len;; n++) {
		char *mid = g_strdup_printf("%u", n);
		bool taken = false;
		for (guint i = 0; i < pc->sections->len; i++)
			if (g_strcmp0(alto_pc_impl_section(pc, i)->mid, mid) == 0)
				taken = true;
		if (!taken)
			return mid;
		g_free(mid);
	}
}

static uint32_t new_ssrc(struct alto_pc *pc)
{
	for (;;) {
		uint32_t ssrc = g_random_int();
		bool taken = ssrc == 0;
		for (guint i = 0; i < pc->sections->len && !taken; i++)
			taken = alto_pc_impl_section(pc, i)->ssrc == ssrc;
		for (guint i = 0; i < pc->pending_tracks->len && !taken; i++)
			taken = ((struct pc_section *)g_ptr_array_index(pc->pending_tracks, i))->ssrc == ssrc;
		if (!taken)
			return ssrc;
	}
}

/* ---- state ---- */

void alto_pc_impl_error(struct alto_pc *pc, int res, const char *message)
{
	g_message("peer connection: %s", message);
	if (!pc->closed && pc->events->error)
		pc->events->error(pc->data, res, message);
}

void alto_pc_impl_update_state(struct alto_pc *pc)
{
	enum alto_pc_state state;

	if (pc->closed)
		state = ALTO_PC_STATE_CLOSED;
	else if (pc->dtls_failed || pc->ice_state == ALTO_ICE_STATE_FAILED)
		state = ALTO_PC_STATE_FAILED;
	else if (pc->ice_state == ALTO_ICE_STATE_CONNECTED && pc->srtp != NULL)
		state = ALTO_PC_STATE_CONNECTED;
	else if (pc->remote_applied)
		state = ALTO_PC_STATE_CHECKING;
	else
		state = ALTO_PC_STATE_NEW;
	if (state == pc->state)
		return;
	g_debug("state %s -> %s", alto_pc_state_name(pc->state), alto_pc_state_name(state));
	pc->state = state;
	if (pc->events->state_changed)
		pc->events->state_changed(pc->data, state);
}

void alto_pc_impl_maybe_start_dtls(struct alto_pc *pc)
{
	if (pc->dtls_started || !pc->dtls_role_known || pc->remote_fingerprint.len == 0)
		return;
	/* the client's ClientHello needs a path; the server just waits for it */
	if (pc->dtls_role == ALTO_DTLS_ROLE_CLIENT && pc->ice_state != ALTO_ICE_STATE_CONNECTED)
		return;
	pc->dtls_started = true;
	alto_dtls_start(pc->dtls, pc->dtls_role);
}

/* ---- ICE events ---- */

static void emit_local_candidate(struct alto_pc *pc, const char *candidate)
{
	struct alto_candidate_init init = { .sdp_mline_index = 0 };
	char json[2048];
	int index = alto_pc_impl_transport_index(pc);

	if (!pc->local_published || pc->closed || pc->events->local_candidate == NULL)
		return;
	if (candidate == NULL) {
		if (pc->end_of_candidates_sent)
			return;
		pc->end_of_candidates_sent = true;
		pc->events->local_candidate(pc->data, NULL);
		return;
	}
	g_strlcpy(init.candidate, candidate, sizeof(init.candidate));
	if (index >= 0) {
		g_strlcpy(init.sdp_mid, alto_pc_impl_section(pc, (size_t)index)->mid, sizeof(init.sdp_mid));
		init.sdp_mline_index = index;
	}
	g_strlcpy(init.username_fragment, alto_ice_local_ufrag(pc->ice),
			sizeof(init.username_fragment));
	if (alto_candidate_init_to_json(&init, json, sizeof(json)) > 0)
		pc->events->local_candidate(pc->data, json);
}

static void on_ice_local_candidate(void *data, const char *candidate)
{
	emit_local_candidate(data, candidate);
}

static void on_ice_gathering_done(void *data)
{
	emit_local_candidate(data, NULL);
}

static void on_ice_state(void *data, enum alto_ice_state state)
{
	struct alto_pc *pc = data;
	enum alto_ice_state old = pc->ice_state;

	pc->ice_state = state;
	if (state == ALTO_ICE_STATE_CONNECTED)
		alto_pc_impl_maybe_start_dtls(pc);
	if (state == ALTO_ICE_STATE_FAILED && old != ALTO_ICE_STATE_FAILED)
		alto_pc_impl_error(pc, -EIO, "ICE failed: no candidate pair works");
	alto_pc_impl_update_state(pc);
}

/* A restart is over when libnice selects a pair again: it reports READY, which ice.c maps to
 * CONNECTED, and that state never left CONNECTED, so look at the credentials instead. */
static void check_restart_done(struct alto_pc *pc)
{
	if (pc->restart_pending && pc->remote_ufrag &&
	    g_strcmp0(alto_ice_remote_ufrag(pc->ice), pc->remote_ufrag) == 0 &&
	    alto_ice_get_state(pc->ice) == ALTO_ICE_STATE_CONNECTED &&
	    alto_ice_restart_checks_done(pc->ice))
		pc->restart_pending = false;
}

/* Which section does an unknown SSRC belong to: the sdes:mid header extension tells. */
static int rtp_header_extension_mid(const uint8_t *buf, size_t len, int ext_id, char *mid,
		size_t size)
{
	size_t off, end;
	unsigned profile;

	if (ext_id <= 0 || len < 12 || !(buf[0] & 0x10))
		return -ENOENT;
	off = 12 + 4u * (buf[0] & 0x0f);
	if (off + 4 > len)
		return -EINVAL;
	profile = (unsigned)buf[off] << 8 | buf[off + 1];
	end = off + 4 + 4u * ((size_t)buf[off + 2] << 8 | buf[off + 3]);
	off += 4;
	if (end > len)
		return -EINVAL;
	while (off < end) {
		unsigned id;
		size_t l;
		if (profile == 0xBEDE) {			/* one-byte headers, RFC 8285 */
			if (buf[off] == 0) {
				off++;
				continue;
			}
			id = buf[off] >> 4;
			l = (size_t)(buf[off] & 0x0f) + 1;
			if (id == 15)
				break;
			off++;
		} else if ((profile & 0xfff0) == 0x1000) {	/* two-byte headers */
			if (buf[off] == 0) {
				off++;
				continue;
			}
			if (off + 2 > end)
				break;
			id = buf[off];
			l = buf[off + 1];
			off += 2;
		} else {
			return -ENOENT;
		}
		if (off + l > end)
			return -EINVAL;
		if ((int)id == ext_id) {
			if (l + 1 > size)
				return -ENOSPC;
			memcpy(mid, buf + off, l);
			mid[l] = '\0';
			return 0;
		}
		off += l;
	}
	return -ENOENT;
}

static bool ssrc_known(struct alto_pc *pc, uint32_t ssrc)
{
	if (g_hash_table_contains(pc->learnt_ssrcs, GUINT_TO_POINTER(ssrc)))
		return true;
	for (guint i = 0; i < pc->sections->len; i++) {
		struct pc_section *s = alto_pc_impl_section(pc, i);
		for (size_t j = 0; j < s->n_remote_ssrcs; j++)
			if (s->remote_ssrcs[j] == ssrc)
				return true;
	}
	return false;
}

static void learn_ssrc(struct alto_pc *pc, const uint8_t *buf, size_t len)
{
	uint32_t ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
	int candidate = -1, receiving = 0;

	if (ssrc_known(pc, ssrc) || g_hash_table_size(pc->learnt_ssrcs) > 256)
		return;
	for (guint i = 0; i < pc->sections->len; i++) {
		struct pc_section *s = alto_pc_impl_section(pc, i);
		char mid[64];
		if (s->rejected || s->kind != ALTO_PC_MEDIA_AUDIO)
			continue;
		if (rtp_header_extension_mid(buf, len, s->ext_mid, mid, sizeof(mid)) == 0) {
			if (g_strcmp0(mid, s->mid) == 0) {
				candidate = (int)i;
				receiving = 1;
				break;
			}
			continue;
		}
		if (s->direction == ALTO_SDP_DIRECTION_RECVONLY ||
		    s->direction == ALTO_SDP_DIRECTION_SENDRECV) {
			candidate = (int)i;
			receiving++;
		}
	}
	if (receiving == 1 && candidate >= 0) {
		g_debug("SSRC %u belongs to mid %s", ssrc, alto_pc_impl_section(pc, (size_t)candidate)->mid);
		g_hash_table_insert(pc->learnt_ssrcs, GUINT_TO_POINTER(ssrc),
				GINT_TO_POINTER(candidate + 1));
	}
}

static void on_ice_receive(void *data, const uint8_t *buf, size_t len)
{
	struct alto_pc *pc = data;
	int n;

	if (pc->closed)
		return;
	check_restart_done(pc);
	if (buf[0] >= 20 && buf[0] <= 63) {
		alto_dtls_receive(pc->dtls, buf, len);
		return;
	}
	if (buf[0] < 128 || buf[0] > 191 || len < 12 || pc->srtp == NULL || len > sizeof(pc->receive_buffer))
		return;
	memcpy(pc->receive_buffer, buf, len);
	if ((pc->receive_buffer[1] & 0x7f) >= 64 && (pc->receive_buffer[1] & 0x7f) <= 95) {
		n = alto_srtp_unprotect_rtcp(pc->srtp, pc->receive_buffer, len);
		if (n > 0 && pc->events->rtcp)
			pc->events->rtcp(pc->data, pc->receive_buffer, (size_t)n);
	} else {
		n = alto_srtp_unprotect_rtp(pc->srtp, pc->receive_buffer, len);
		if (n < 12)
			return;
		learn_ssrc(pc, pc->receive_buffer, (size_t)n);
		if (pc->events->rtp)
			pc->events->rtp(pc->data, pc->receive_buffer, (size_t)n);
	}
}

static const struct alto_ice_events ice_events = {
	ALTO_ICE_EVENTS_VERSION,
	.local_candidate = on_ice_local_candidate,
	.gathering_done = on_ice_gathering_done,
	.state_changed = on_ice_state,
	.receive = on_ice_receive,
};

/* ---- DTLS events ---- */

static void on_dtls_send(void *data, const uint8_t *buf, size_t len)
{
	struct alto_pc *pc = data;
	alto_ice_send(pc->ice, buf, len);
}

static void on_dtls_connected(void *data, const struct alto_dtls_keys *keys)
{
	struct alto_pc *pc = data;
	int res = alto_srtp_new(keys->local, keys->remote, &pc->srtp);

	if (res < 0) {
		pc->dtls_failed = true;
		alto_pc_impl_error(pc, res, "cannot create SRTP sessions");
	}
	alto_pc_impl_update_state(pc);
}

static void on_dtls_failed(void *data, int res, const char *reason)
{
	struct alto_pc *pc = data;
	char message[320];

	pc->dtls_failed = true;
	snprintf(message, sizeof(message), "DTLS: %s", reason);
	alto_pc_impl_error(pc, res, message);
	alto_pc_impl_update_state(pc);
}

static void on_dtls_closed(void *data)
{
	struct alto_pc *pc = data;
	g_debug("the peer closed DTLS");
	pc->closed = true;
	alto_pc_impl_update_state(pc);
}

static const struct alto_dtls_events dtls_events = {
	ALTO_DTLS_EVENTS_VERSION,
	.send = on_dtls_send,
	.connected = on_dtls_connected,
	.failed = on_dtls_failed,
	.closed = on_dtls_closed,
};

/* ---- life cycle ---- */

static int make_ice(struct alto_pc *pc, const struct alto_pc_config *config)
{
	struct alto_ice_config ice_config = {
		.force_relay = config->force_relay,
		.ice_tcp = config->ice_tcp,
		.local_addresses = config->local_addresses,
		.n_local_addresses = config->n_local_addresses,
	};
	GArray *servers = g_array_new(FALSE, TRUE, sizeof(struct alto_ice_server));

	for (size_t i = 0; i < config->n_ice_servers; i++) {
		const struct alto_pc_ice_server *s = &config->ice_servers[i];
		for (size_t j = 0; j < s->n_urls; j++) {
			struct alto_ice_server server;
			int res = alto_ice_server_parse(s->urls[j], s->username, s->credential,
					&server);
			if (res < 0) {
				g_message("ICE server URL skipped (%s): %s", g_strerror(-res),
						s->urls[j]);
				continue;
			}
			g_array_append_val(servers, server);
		}
	}
	ice_config.servers = (const struct alto_ice_server *)(void *)servers->data;
	ice_config.n_servers = servers->len;
	pc->ice = alto_ice_new(pc->context, &ice_config, &ice_events, pc);
	/* the credentials in the copies are no longer needed */
	if (servers->len > 0)
		memset(servers->data, 0, servers->len * sizeof(struct alto_ice_server));
	g_array_free(servers, TRUE);
	return pc->ice ? 0 : -EIO;
}

struct alto_pc *alto_pc_new(GMainContext *context, const struct alto_pc_config *config,
		const struct alto_pc_events *events, void *data)
{
	static const struct alto_pc_config default_config;
	struct alto_pc *pc;
	int res;

	if (events == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (config == NULL)
		config = &default_config;
	pc = g_new0(struct alto_pc, 1);
	pc->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();
	pc->events = events;
	pc->data = data;
	pc->disable_red = config->disable_red;
	pc->disable_nack = config->disable_nack;
	if (config->cname)
		pc->cname = g_strdup(config->cname);
	else {
		static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
		pc->cname = g_malloc(17);
		for (int i = 0; i < 16; i++)
			pc->cname[i] = alphabet[g_random_int_range(0, sizeof(alphabet) - 1)];
		pc->cname[16] = '\0';
	}
	pc->sections = g_ptr_array_new_with_free_func(section_free);
	pc->pending_tracks = g_ptr_array_new_with_free_func(section_free);
	pc->learnt_ssrcs = g_hash_table_new(g_direct_hash, g_direct_equal);
	pc->queued_candidates = g_ptr_array_new();
	pc->next_offer_id = 1;
	/* o= session id: 62 random bits, as JSEP asks */
	pc->session_id = ((uint64_t)g_random_int() << 30 ^ g_random_int()) & 0x3fffffffffffffffull;
	if (pc->session_id == 0)
		pc->session_id = 1;

	if ((res = alto_dtls_identity_new(&pc->identity)) < 0)
		goto error;
	if (alto_sdp_fingerprint_format(alto_dtls_identity_fingerprint(pc->identity),
				pc->fingerprint_text, sizeof(pc->fingerprint_text)) < 0) {
		res = -EIO;
		goto error;
	}
	pc->dtls = alto_dtls_new(pc->context, pc->identity, &dtls_events, pc);
	if (pc->dtls == NULL) {
		res = -EIO;
		goto error;
	}
	if ((res = make_ice(pc, config)) < 0)
		goto error;
	return pc;

error:
	alto_pc_destroy(pc);
	errno = -res;
	return NULL;
}

static void free_queued_candidates(struct alto_pc *pc)
{
	for (guint i = 0; i < pc->queued_candidates->len; i++) {
		struct queued_candidate *q = g_ptr_array_index(pc->queued_candidates, i);
		g_free(q->candidate);
		g_free(q->ufrag);
		g_free(q);
	}
	g_ptr_array_set_size(pc->queued_candidates, 0);
}

/* Tear down the transport; no events from here on. */
static void shut_down(struct alto_pc *pc)
{
	alto_dtls_destroy(pc->dtls);	/* close_notify goes out through ICE, still there */
	pc->dtls = NULL;
	alto_srtp_free(pc->srtp);
	pc->srtp = NULL;
	alto_ice_destroy(pc->ice);
	pc->ice = NULL;
}

void alto_pc_destroy(struct alto_pc *pc)
{
	if (pc == NULL)
		return;
	pc->closed = true;
	if (pc->teardown) {
		g_source_destroy(pc->teardown);
		g_source_unref(pc->teardown);
		pc->teardown = NULL;
	}
	shut_down(pc);
	alto_dtls_identity_free(pc->identity);
	if (pc->sections)
		g_ptr_array_free(pc->sections, TRUE);
	if (pc->pending_tracks)
		g_ptr_array_free(pc->pending_tracks, TRUE);
	if (pc->learnt_ssrcs)
		g_hash_table_destroy(pc->learnt_ssrcs);
	if (pc->queued_candidates) {
		free_queued_candidates(pc);
		g_ptr_array_free(pc->queued_candidates, TRUE);
	}
	alto_sdp_free(pc->remote_offer);
	g_free(pc->remote_ufrag);
	g_free(pc->cname);
	g_main_context_unref(pc->context);
	g_free(pc);
}

static gboolean on_teardown(gpointer data)
{
	struct alto_pc *pc = data;
	g_source_unref(pc->teardown);
	pc->teardown = NULL;
	shut_down(pc);
	return G_SOURCE_REMOVE;
}

int alto_pc_close(struct alto_pc *pc)
{
	if (pc == NULL)
		return -EINVAL;
	if (pc->teardown || pc->ice == NULL)
		return 0;
	pc->closed = true;
	/* alto_pc_close() may run inside an event of ICE or DTLS: tear them down from the loop,
	 * never under their own feet */
	pc->teardown = g_idle_source_new();
	g_source_set_callback(pc->teardown, on_teardown, pc, NULL);
	g_source_attach(pc->teardown, pc->context);
	alto_pc_impl_update_state(pc);
	return 0;
}

enum alto_pc_state alto_pc_get_state(const struct alto_pc *pc)
{
	return pc ? pc->state : ALTO_PC_STATE_CLOSED;
}

const char *alto_pc_local_fingerprint(const struct alto_pc *pc)
{
	return pc ? pc->fingerprint_text : NULL;
}

/* ---- sections ---- */

int alto_pc_add_recv_audio(struct alto_pc *pc, unsigned count)
{
	if (pc == NULL || count > 64)
		return -EINVAL;
	if (pc->closed)
		return -ENOTCONN;
	for (unsigned i = 0; i < count; i++) {
		char *mid = new_mid(pc);
		struct pc_section *s = alto_pc_impl_section_new(pc, ALTO_PC_MEDIA_AUDIO, "audio",
				"UDP/TLS/RTP/SAVPF");
		s->mid = mid;
		s->want = ALTO_SDP_DIRECTION_RECVONLY;
	}
	return 0;
}

int alto_pc_add_local_audio_track(struct alto_pc *pc, const char *track_id,
		const char *stream_id, uint32_t *ssrc)
{
	struct pc_section *s;

	if (pc == NULL || track_id == NULL || *track_id == '\0' || strchr(track_id, ' ') ||
	    (stream_id && (*stream_id == '\0' || strchr(stream_id, ' '))))
		return -EINVAL;
	if (pc->closed)
		return -ENOTCONN;
	for (guint i = 0; i < pc->sections->len; i++)
		if (g_strcmp0(alto_pc_impl_section(pc, i)->track_id, track_id) == 0)
			return -EEXIST;
	for (guint i = 0; i < pc->pending_tracks->len; i++)
		if (g_strcmp0(((struct pc_section *)g_ptr_array_index(pc->pending_tracks, i))->track_id,
					track_id) == 0)
			return -EEXIST;
	/* not in any description yet: the next offer appends it, the next answer may put it in
	 * a recvonly section of the remote offer */
	s = g_new0(struct pc_section, 1);
	s->kind = ALTO_PC_MEDIA_AUDIO;
	s->kind_name = g_strdup("audio");
	s->proto = g_strdup("UDP/TLS/RTP/SAVPF");
	s->opus_pt = -1;
	s->red_pt = -1;
	s->want = ALTO_SDP_DIRECTION_SENDONLY;
	s->track_id = g_strdup(track_id);
	s->stream_id = g_strdup(stream_id ? stream_id : "-");
	s->ssrc = new_ssrc(pc);
	g_ptr_array_add(pc->pending_tracks, s);
	if (ssrc)
		*ssrc = s->ssrc;
	return 0;
}

struct pc_section *alto_pc_impl_place_pending_track(struct alto_pc *pc, guint index)
{
	struct pc_section *s = g_ptr_array_steal_index(pc->pending_tracks, index);
	s->mid = new_mid(pc);
	g_ptr_array_add(pc->sections, s);
	return s;
}

int alto_pc_remove_local_audio_track(struct alto_pc *pc, const char *track_id)
{
	if (pc == NULL || track_id == NULL)
		return -EINVAL;
	for (guint i = 0; i < pc->pending_tracks->len; i++) {
		struct pc_section *s = g_ptr_array_index(pc->pending_tracks, i);
		if (g_strcmp0(s->track_id, track_id) == 0) {
			g_ptr_array_remove_index(pc->pending_tracks, i);
			return 0;
		}
	}
	for (guint i = 0; i < pc->sections->len; i++) {
		struct pc_section *s = alto_pc_impl_section(pc, i);
		if (g_strcmp0(s->track_id, track_id) != 0)
			continue;
		g_clear_pointer(&s->track_id, g_free);
		s->ssrc = 0;
		s->want = s->want == ALTO_SDP_DIRECTION_SENDRECV ? ALTO_SDP_DIRECTION_RECVONLY :
			ALTO_SDP_DIRECTION_INACTIVE;
		return 0;
	}
	return -ENOENT;
}

/* ---- candidates ---- */

static int add_candidate_now(struct alto_pc *pc, const char *candidate)
{
	int res = alto_ice_add_remote_candidate(pc->ice, candidate);
	if (res < 0)
		g_debug("remote candidate not used (%s): %s", g_strerror(-res), candidate);
	return res;
}

void alto_pc_impl_flush_queued_candidates(struct alto_pc *pc)
{
	for (guint i = 0; i < pc->queued_candidates->len; i++) {
		struct queued_candidate *q = g_ptr_array_index(pc->queued_candidates, i);
		if (q->ufrag == NULL || g_strcmp0(q->ufrag, pc->remote_ufrag) == 0)
			add_candidate_now(pc, q->candidate);
	}
	free_queued_candidates(pc);
	if (pc->remote_end_queued) {
		pc->remote_end_queued = false;
		alto_ice_remote_gathering_done(pc->ice);
	}
}

int alto_pc_add_remote_candidate(struct alto_pc *pc, const char *json)
{
	struct alto_candidate_init init;
	int res;

	if (pc == NULL || json == NULL)
		return -EINVAL;
	if (pc->closed)
		return -ENOTCONN;
	if ((res = alto_candidate_init_from_json(json, strlen(json), &init)) < 0)
		return res == -ENOSPC ? -EINVAL : res;
	if (init.username_fragment[0] && pc->remote_ufrag &&
	    strcmp(init.username_fragment, pc->remote_ufrag) != 0 &&
	    pc->signaling != PC_SIGNALING_HAVE_LOCAL_OFFER)
		return -ESTALE;
	/* before the remote description, or while our restart offer waits for its answer */
	if (pc->remote_ufrag == NULL || (init.username_fragment[0] &&
				strcmp(init.username_fragment, pc->remote_ufrag) != 0)) {
		if (init.candidate[0] == '\0') {
			pc->remote_end_queued = true;
			return 0;
		}
		if (pc->queued_candidates->len >= PC_MAX_QUEUED_CANDIDATES)
			return -ENOSPC;
		struct queued_candidate *q = g_new0(struct queued_candidate, 1);
		q->candidate = g_strdup(init.candidate);
		q->ufrag = init.username_fragment[0] ? g_strdup(init.username_fragment) : NULL;
		g_ptr_array_add(pc->queued_candidates, q);
		return 0;
	}
	if (init.candidate[0] == '\0')
		return alto_ice_remote_gathering_done(pc->ice);
	return add_candidate_now(pc, init.candidate);
}

int alto_pc_restart_ice(struct alto_pc *pc)
{
	int res;

	if (pc == NULL)
		return -EINVAL;
	if (pc->closed)
		return -ENOTCONN;
	if (pc->signaling == PC_SIGNALING_HAVE_REMOTE_OFFER)
		return -EBUSY;
	if ((res = alto_ice_restart(pc->ice)) < 0)
		return res;
	g_clear_pointer(&pc->remote_ufrag, g_free);
	free_queued_candidates(pc);
	pc->remote_end_queued = false;
	pc->restart_pending = true;
	pc->end_of_candidates_sent = false;
	return 0;
}

bool alto_pc_ice_restart_pending(const struct alto_pc *pc)
{
	if (pc == NULL)
		return false;
	check_restart_done((struct alto_pc *)pc);
	return pc->restart_pending;
}

/* ---- media ---- */

static int send_protected(struct alto_pc *pc, const uint8_t *buf, size_t len, bool rtcp)
{
	int n;

	if (pc == NULL || buf == NULL || len < (rtcp ? 8u : 12u) || (buf[0] & 0xc0) != 0x80)
		return -EINVAL;
	if (len > PC_MAX_PACKET)
		return -EMSGSIZE;
	if (pc->closed || pc->srtp == NULL || pc->ice_state != ALTO_ICE_STATE_CONNECTED)
		return -ENOTCONN;
	memcpy(pc->send_buffer, buf, len);
	n = rtcp ? alto_srtp_protect_rtcp(pc->srtp, pc->send_buffer, len, sizeof(pc->send_buffer)) :
		alto_srtp_protect_rtp(pc->srtp, pc->send_buffer, len, sizeof(pc->send_buffer));
	if (n < 0)
		return n;
	return alto_ice_send(pc->ice, pc->send_buffer, (size_t)n);
}

int alto_pc_send_rtp(struct alto_pc *pc, const uint8_t *buf, size_t len)
{
	return send_protected(pc, buf, len, false);
}

int alto_pc_send_rtcp(struct alto_pc *pc, const uint8_t *buf, size_t len)
{
	return send_protected(pc, buf, len, true);
}

/* ---- mapping ---- */

size_t alto_pc_n_media(const struct alto_pc *pc)
{
	return pc ? pc->sections->len : 0;
}

static void fill_info(const struct alto_pc *pc, guint index, struct alto_pc_media_info *info)
{
	const struct pc_section *s = alto_pc_impl_section(pc, index);

	memset(info, 0, sizeof(*info));
	info->index = index;
	g_strlcpy(info->mid, s->mid ? s->mid : "", sizeof(info->mid));
	info->kind = s->kind;
	info->direction = s->direction;
	info->rejected = s->rejected;
	g_strlcpy(info->remote_stream_id, s->remote_stream_id ? s->remote_stream_id : "",
			sizeof(info->remote_stream_id));
	g_strlcpy(info->remote_track_id, s->remote_track_id ? s->remote_track_id : "",
			sizeof(info->remote_track_id));
	memcpy(info->remote_ssrcs, s->remote_ssrcs, sizeof(info->remote_ssrcs));
	info->n_remote_ssrcs = s->n_remote_ssrcs;
	/* SSRCs learnt from RTP */
	GHashTableIter iter;
	gpointer key, value;
	g_hash_table_iter_init(&iter, pc->learnt_ssrcs);
	while (g_hash_table_iter_next(&iter, &key, &value))
		if ((guint)GPOINTER_TO_INT(value) == index + 1 &&
		    info->n_remote_ssrcs < ALTO_PC_MAX_SSRCS)
			info->remote_ssrcs[info->n_remote_ssrcs++] = GPOINTER_TO_UINT(key);
	g_strlcpy(info->local_track_id, s->track_id ? s->track_id : "", sizeof(info->local_track_id));
	info->local_ssrc = s->ssrc;
	info->opus_pt = s->opus_pt;
	info->red_pt = s->red_pt;
	info->ext_audio_level = s->ext_audio_level;
	info->ext_mid = s->ext_mid;
	info->ext_abs_capture_time = s->ext_abs_capture_time;
	info->nack = s->nack;
}

int alto_pc_get_media(const struct alto_pc *pc, size_t index, struct alto_pc_media_info *info)
{
	if (pc == NULL || info == NULL)
		return -EINVAL;
	if (index >= pc->sections->len)
		return -ENOENT;
	fill_info(pc, (guint)index, info);
	return 0;
}

int alto_pc_find_media_by_mid(const struct alto_pc *pc, const char *mid,
		struct alto_pc_media_info *info)
{
	if (pc == NULL || mid == NULL || info == NULL)
		return -EINVAL;
	for (guint i = 0; i < pc->sections->len; i++) {
		if (g_strcmp0(alto_pc_impl_section(pc, i)->mid, mid) == 0) {
			fill_info(pc, i, info);
			return 0;
		}
	}
	return -ENOENT;
}

int alto_pc_find_media_by_ssrc(const struct alto_pc *pc, uint32_t ssrc,
		struct alto_pc_media_info *info)
{
	gpointer value;

	if (pc == NULL || info == NULL)
		return -EINVAL;
	for (guint i = 0; i < pc->sections->len; i++) {
		const struct pc_section *s = alto_pc_impl_section(pc, i);
		for (size_t j = 0; j < s->n_remote_ssrcs; j++) {
			if (s->remote_ssrcs[j] == ssrc && !s->rejected) {
				fill_info(pc, i, info);
				return 0;
			}
		}
	}
	value = g_hash_table_lookup(pc->learnt_ssrcs, GUINT_TO_POINTER(ssrc));
	if (value && (guint)GPOINTER_TO_INT(value) <= pc->sections->len) {
		fill_info(pc, (guint)GPOINTER_TO_INT(value) - 1, info);
		return 0;
	}
	return -ENOENT;
}
