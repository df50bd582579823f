/* alto rtc/transport: offer/answer of the peer connection (JSEP, the parts audio needs).
 *
 * Our descriptions BUNDLE every section that is not rejected, mux RTCP, offer Opus/48000/2
 * (PT 111, minptime=10;useinbandfec=1) and, on sections that receive, RED (PT 63, 111/111),
 * plus the ssrc-audio-level and sdes:mid header extensions, and generic NACK (a=rtcp-fb:111 nack)
 * on sections that receive. In answers the remote payload types and extension ids are kept, and
 * NACK only when the offer has it for Opus. Video is rejected (port 0); m=application is accepted so
 * ICE and DTLS come up (LiveKit's legacy subscriber offer), but SCTP is not spoken.
 * A remote description is checked whole before anything of it is applied.
 * Thread: see peer_connection.h.
 */
#define G_LOG_DOMAIN "alto.rtc.pc"

#include "peer_connection_private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- directions ---- */

static bool sends(enum alto_sdp_direction d)
{
	return d == ALTO_SDP_DIRECTION_SENDRECV || d == ALTO_SDP_DIRECTION_SENDONLY ||
		d == ALTO_SDP_DIRECTION_NONE;
}

static bool receives(enum alto_sdp_direction d)
{
	return d == ALTO_SDP_DIRECTION_SENDRECV || d == ALTO_SDP_DIRECTION_RECVONLY ||
		d == ALTO_SDP_DIRECTION_NONE;
}

static enum alto_sdp_direction make_direction(bool send, bool recv)
{
	if (send && recv)
		return ALTO_SDP_DIRECTION_SENDRECV;
	if (send)
		return ALTO_SDP_DIRECTION_SENDONLY;
	if (recv)
		return ALTO_SDP_DIRECTION_RECVONLY;
	return ALTO_SDP_DIRECTION_INACTIVE;
}

/* ---- writing our description ---- */

static void write_transport(struct alto_pc *pc, struct alto_sdp *sdp, struct alto_sdp_media *m,
		bool offer, bool carries_candidates)
{
	m->ice_ufrag = alto_ice_local_ufrag(pc->ice);
	m->ice_pwd = alto_ice_local_pwd(pc->ice);
	m->fingerprint = *alto_dtls_identity_fingerprint(pc->identity);
	if (offer)
		m->setup = ALTO_SDP_SETUP_ACTPASS;
	else
		m->setup = pc->dtls_role == ALTO_DTLS_ROLE_CLIENT ? ALTO_SDP_SETUP_ACTIVE :
			ALTO_SDP_SETUP_PASSIVE;
	if (carries_candidates) {
		for (size_t i = 0; i < alto_ice_n_local_candidates(pc->ice); i++)
			alto_sdp_media_add_candidate(sdp, m, alto_ice_local_candidate(pc->ice, i));
		m->end_of_candidates = alto_ice_gathering_done(pc->ice);
	}
}

static int write_audio(struct alto_pc *pc, struct alto_sdp *sdp, struct alto_sdp_media *m,
		struct pc_section *s, bool offer)
{
	enum alto_sdp_direction direction = offer ? s->want : s->direction;
	int opus_pt = s->opus_pt >= 0 ? s->opus_pt : PC_OPUS_PT;
	char red_fmtp[32];
	struct alto_sdp_codec *opus;

	m->direction = direction;
	m->rtcp_mux = true;
	m->rtcp_rsize = true;
	if ((opus = alto_sdp_media_add_codec(sdp, m, (uint8_t)opus_pt, "opus", 48000, 2, PC_OPUS_FMTP)) == NULL)
		return -ENOMEM;
	/* we ask for retransmissions of what we receive; answers only when the offer did */
	if ((offer ? receives(direction) && !pc->disable_nack : s->nack) &&
	    alto_sdp_codec_add_rtcp_fb(sdp, opus, ALTO_SDP_RTCP_FB_NACK) < 0)
		return -ENOMEM;
	/* RED is for what we receive; when publishing, LiveKit is told disable_red */
	if (offer ? (receives(direction) && !pc->disable_red) : s->red_pt >= 0) {
		int red_pt = s->red_pt >= 0 ? s->red_pt : PC_RED_PT;
		snprintf(red_fmtp, sizeof(red_fmtp), "%d/%d", opus_pt, opus_pt);
		if (alto_sdp_media_add_codec(sdp, m, (uint8_t)red_pt, "red", 48000, 2, red_fmtp) == NULL)
			return -ENOMEM;
	}
	if (offer) {
		alto_sdp_media_add_extmap(sdp, m, (uint16_t)(s->ext_audio_level > 0 ?
					s->ext_audio_level : PC_EXT_AUDIO_LEVEL), ALTO_SDP_EXT_AUDIO_LEVEL);
		alto_sdp_media_add_extmap(sdp, m, (uint16_t)(s->ext_mid > 0 ? s->ext_mid : PC_EXT_MID),
				ALTO_SDP_EXT_SDES_MID);
	} else {
		if (s->ext_audio_level > 0)
			alto_sdp_media_add_extmap(sdp, m, (uint16_t)s->ext_audio_level,
					ALTO_SDP_EXT_AUDIO_LEVEL);
		if (s->ext_mid > 0)
			alto_sdp_media_add_extmap(sdp, m, (uint16_t)s->ext_mid, ALTO_SDP_EXT_SDES_MID);
		if (s->ext_abs_capture_time > 0)
			alto_sdp_media_add_extmap(sdp, m, (uint16_t)s->ext_abs_capture_time,
					ALTO_SDP_EXT_ABS_CAPTURE_TIME);
	}
	if (s->track_id && sends(direction)) {
		m->msid_stream = s->stream_id;
		m->msid_track = s->track_id;
		if (alto_sdp_media_add_ssrc(sdp, m, s->ssrc, pc->cname, s->stream_id, s->track_id) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int build_description(struct alto_pc *pc, bool offer, char **text)
{
	struct alto_sdp *sdp = alto_sdp_new();
	int transport = alto_pc_impl_transport_index(pc), res = 0;

	if (sdp == NULL)
		return -ENOMEM;
	sdp->session_id = pc->session_id;
	sdp->session_version = ++pc->session_version;
	sdp->ice_trickle = true;
	for (guint i = 0; i < pc->sections->len; i++)
		if (!alto_pc_impl_section(pc, i)->rejected)
			alto_sdp_add_bundle_mid(sdp, alto_pc_impl_section(pc, i)->mid);

	for (guint i = 0; i < pc->sections->len && res == 0; i++) {
		struct pc_section *s = alto_pc_impl_section(pc, i);
		struct alto_sdp_media *m = alto_sdp_add_media(sdp, s->kind_name,
				s->rejected ? 0 : 9, s->proto);
		if (m == NULL) {
			res = -ENOMEM;
			break;
		}
		m->mid = s->mid;
		if (s->rejected) {
			alto_sdp_media_add_format(sdp, m, s->first_format ? s->first_format : "0");
			m->direction = ALTO_SDP_DIRECTION_INACTIVE;
			continue;
		}
		write_transport(pc, sdp, m, offer, (int)i == transport);
		if (s->kind == ALTO_PC_MEDIA_AUDIO) {
			res = write_audio(pc, sdp, m, s, offer);
		} else if (s->kind == ALTO_PC_MEDIA_APPLICATION) {
			alto_sdp_media_add_format(sdp, m, s->first_format ? s->first_format :
					"webrtc-datachannel");
			m->sctp_port = s->sctp_port ? s->sctp_port : PC_SCTP_PORT;
			m->max_message_size = PC_MAX_MESSAGE_SIZE;
		}
	}
	if (res == 0)
		res = alto_sdp_build(sdp, text);
	alto_sdp_free(sdp);
	return res;
}

/* A description with our candidates is out: from now on new ones are trickled. */
static void published(struct alto_pc *pc)
{
	pc->local_published = true;
	if (alto_ice_gathering_done(pc->ice))
		pc->end_of_candidates_sent = true;	/* a=end-of-candidates said it */
}

int alto_pc_create_offer(struct alto_pc *pc, char **sdp, uint32_t *id)
{
	int res;

	if (pc == NULL || sdp == NULL)
		return -EINVAL;
	*sdp = NULL;
	if (pc->closed)
		return -ENOTCONN;
	if (pc->signaling == PC_SIGNALING_HAVE_REMOTE_OFFER)
		return -EBUSY;
	while (pc->pending_tracks->len > 0)
		alto_pc_impl_place_pending_track(pc, 0);
	if (pc->sections->len == 0 || alto_pc_impl_transport_index(pc) < 0)
		return -EINVAL;
	/* the offerer controls ICE (RFC 8445 6.1.1), unless roles were settled before */
	if (!pc->remote_applied)
		alto_ice_set_controlling(pc->ice, true);
	if ((res = alto_ice_gather(pc->ice)) < 0)
		return res;
	if ((res = build_description(pc, true, sdp)) < 0)
		return res;
	pc->pending_offer_id = pc->next_offer_id++;
	pc->signaling = PC_SIGNALING_HAVE_LOCAL_OFFER;
	if (id)
		*id = pc->pending_offer_id;
	published(pc);
	return 0;
}

int alto_pc_create_answer(struct alto_pc *pc, char **sdp, uint32_t *id)
{
	int res;

	if (pc == NULL || sdp == NULL)
		return -EINVAL;
	*sdp = NULL;
	if (pc->closed)
		return -ENOTCONN;
	if (pc->signaling != PC_SIGNALING_HAVE_REMOTE_OFFER)
		return -EPROTO;
	if ((res = alto_ice_gather(pc->ice)) < 0)
		return res;
	if ((res = build_description(pc, false, sdp)) < 0)
		return res;
	pc->signaling = PC_SIGNALING_STABLE;
	if (id)
		*id = pc->remote_offer_id;
	alto_sdp_free(pc->remote_offer);
	pc->remote_offer = NULL;
	published(pc);
	alto_pc_impl_maybe_start_dtls(pc);
	return 0;
}

/* ---- reading a remote description ---- */

/* The section whose ICE/DTLS attributes count: the first of the BUNDLE group (its tag) that
 * is not rejected, else the first section not rejected. NULL if all are rejected. */
static const struct alto_sdp_media *remote_transport(const struct alto_sdp *remote)
{
	for (size_t i = 0; i < remote->n_bundle; i++) {
		const struct alto_sdp_media *m = alto_sdp_find_media(remote, remote->bundle[i]);
		if (m && m->port != 0)
			return m;
	}
	for (size_t i = 0; i < remote->n_media; i++)
		if (remote->media[i].port != 0)
			return &remote->media[i];
	return NULL;
}

static int check_transport(struct alto_pc *pc, const struct alto_sdp_media *t, bool offer)
{
	if (t->ice_ufrag == NULL || t->ice_pwd == NULL || t->fingerprint.len == 0)
		return -EINVAL;
	if (t->setup == ALTO_SDP_SETUP_HOLDCONN)
		return -EINVAL;
	if (pc->dtls_started && (t->fingerprint.len != pc->remote_fingerprint.len ||
				memcmp(t->fingerprint.value, pc->remote_fingerprint.value,
					t->fingerprint.len) != 0 ||
				strcmp(t->fingerprint.algorithm, pc->remote_fingerprint.algorithm) != 0))
		return -ENOTSUP;	/* a new DTLS session: not supported */
	if (!offer && pc->remote_ufrag && strcmp(pc->remote_ufrag, t->ice_ufrag) != 0)
		return -EINVAL;		/* an answer restarting ICE we did not restart */
	return 0;
}

static void apply_transport(struct alto_pc *pc, const struct alto_sdp *remote,
		const struct alto_sdp_media *t, bool offer)
{
	if (remote->ice_lite)
		alto_ice_set_controlling(pc->ice, true);	/* a lite peer never controls */
	else if (offer && !pc->remote_applied && pc->pending_offer_id == 0)
		alto_ice_set_controlling(pc->ice, false);

	pc->remote_fingerprint = t->fingerprint;
	alto_dtls_set_remote_fingerprint(pc->dtls, &t->fingerprint);

	if (pc->remote_ufrag && strcmp(pc->remote_ufrag, t->ice_ufrag) != 0) {
		/* the peer restarts ICE: new credentials for us too (RFC 8445 9) */
		g_debug("remote ICE restart");
		alto_ice_restart(pc->ice);
		pc->restart_pending = true;
		pc->end_of_candidates_sent = false;
		g_clear_pointer(&pc->remote_ufrag, g_free);
	}
	if (pc->remote_ufrag == NULL) {
		if (alto_ice_set_remote_credentials(pc->ice, t->ice_ufrag, t->ice_pwd) == 0)
			pc->remote_ufrag = g_strdup(t->ice_ufrag);
	}
	/* candidates in the description: every section of this ICE generation may carry some */
	for (size_t i = 0; i < remote->n_media; i++) {
		const struct alto_sdp_media *m = &remote->media[i];
		if (m->port == 0 || g_strcmp0(m->ice_ufrag, t->ice_ufrag) != 0)
			continue;
		for (size_t j = 0; j < m->n_candidates; j++)
			alto_ice_add_remote_candidate(pc->ice, m->candidates[j]);
	}
	alto_pc_impl_flush_queued_candidates(pc);
	if (t->end_of_candidates)
		alto_ice_remote_gathering_done(pc->ice);

	if (!pc->dtls_role_known) {
		enum alto_sdp_setup setup = t->setup;
		if (offer)	/* actpass or none: we take active, as browsers do */
			pc->dtls_role = setup == ALTO_SDP_SETUP_ACTIVE ? ALTO_DTLS_ROLE_SERVER :
				ALTO_DTLS_ROLE_CLIENT;
		else		/* no a=setup means active (RFC 4145); actpass is invalid here */
			pc->dtls_role = setup == ALTO_SDP_SETUP_PASSIVE ||
				setup == ALTO_SDP_SETUP_ACTPASS ? ALTO_DTLS_ROLE_CLIENT :
				ALTO_DTLS_ROLE_SERVER;
		pc->dtls_role_known = true;
		g_debug("DTLS role %s", pc->dtls_role == ALTO_DTLS_ROLE_CLIENT ? "client" : "server");
	}
}

static void set_remote_track(struct pc_section *s, const struct alto_sdp_media *m)
{
	const char *stream = m->msid_stream, *track = m->msid_track;

	s->n_remote_ssrcs = 0;
	for (size_t i = 0; i < m->n_ssrcs; i++) {
		if (s->n_remote_ssrcs < ALTO_PC_MAX_SSRCS)
			s->remote_ssrcs[s->n_remote_ssrcs++] = m->ssrcs[i].ssrc;
		if (stream == NULL && m->ssrcs[i].msid_stream) {
			stream = m->ssrcs[i].msid_stream;
			track = m->ssrcs[i].msid_track;
		}
	}
	if (g_strcmp0(stream, "-") == 0)
		stream = NULL;
	alto_pc_impl_set_str(&s->remote_stream_id, stream);
	alto_pc_impl_set_str(&s->remote_track_id, track);
}

static void clear_remote_track(struct pc_section *s)
{
	s->n_remote_ssrcs = 0;
	alto_pc_impl_set_str(&s->remote_stream_id, NULL);
	alto_pc_impl_set_str(&s->remote_track_id, NULL);
}

static void read_extensions(struct pc_section *s, const struct alto_sdp_media *m)
{
	s->ext_audio_level = alto_sdp_media_find_extmap(m, ALTO_SDP_EXT_AUDIO_LEVEL);
	s->ext_mid = alto_sdp_media_find_extmap(m, ALTO_SDP_EXT_SDES_MID);
	s->ext_abs_capture_time = alto_sdp_media_find_extmap(m, ALTO_SDP_EXT_ABS_CAPTURE_TIME);
}

static void reject(struct pc_section *s, const struct alto_sdp_media *m)
{
	s->rejected = true;
	s->direction = ALTO_SDP_DIRECTION_INACTIVE;
	s->nack = false;
	if (m && m->n_formats > 0)
		alto_pc_impl_set_str(&s->first_format, m->formats[0]);
	clear_remote_track(s);
}

static void apply_answer_section(struct alto_pc *pc, struct pc_section *s,
		const struct alto_sdp_media *m, bool bundled)
{
	enum alto_sdp_direction remote = m->direction;

	if (m->port == 0 || !bundled) {
		reject(s, NULL);
		return;
	}
	s->rejected = false;
	s->direction = make_direction(sends(s->want) && receives(remote),
			receives(s->want) && sends(remote));
	if (s->kind == ALTO_PC_MEDIA_AUDIO) {
		const struct alto_sdp_codec *opus = alto_sdp_media_find_codec(m, "opus", 48000);
		const struct alto_sdp_codec *red = alto_sdp_media_find_codec(m, "red", 48000);
		if (opus == NULL) {
			s->direction = ALTO_SDP_DIRECTION_INACTIVE;
			s->opus_pt = -1;
		} else {
			s->opus_pt = opus->pt;
		}
		s->red_pt = red && !pc->disable_red && receives(s->direction) ? red->pt : -1;
		/* our offer had nack on every receiving section (write_audio) */
		s->nack = opus && !pc->disable_nack && receives(s->want) && receives(s->direction) &&
			alto_sdp_codec_has_rtcp_fb(m, opus, ALTO_SDP_RTCP_FB_NACK);
		read_extensions(s, m);
	} else if (s->kind == ALTO_PC_MEDIA_APPLICATION) {
		s->sctp_port = m->sctp_port;
	}
	if (sends(remote))
		set_remote_track(s, m);
	else
		clear_remote_track(s);
}

static struct pc_section *take_pending_track(struct alto_pc *pc, struct pc_section *s)
{
	struct pc_section *track;

	if (pc->pending_tracks->len == 0)
		return NULL;
	track = g_ptr_array_index(pc->pending_tracks, 0);
	alto_pc_impl_set_str(&s->track_id, track->track_id);
	alto_pc_impl_set_str(&s->stream_id, track->stream_id);
	s->ssrc = track->ssrc;
	g_ptr_array_remove_index(pc->pending_tracks, 0);
	return s;
}

static void apply_offer_section(struct alto_pc *pc, struct pc_section *s,
		const struct alto_sdp_media *m, bool bundled)
{
	enum alto_sdp_direction remote = m->direction;
	bool send, recv;

	if (s->first_format == NULL && m->n_formats > 0)
		alto_pc_impl_set_str(&s->first_format, m->formats[0]);
	if (m->port == 0 || !bundled) {
		reject(s, m);
		return;
	}
	switch (s->kind) {
	case ALTO_PC_MEDIA_AUDIO: {
		const struct alto_sdp_codec *opus = alto_sdp_media_find_codec(m, "opus", 48000);
		const struct alto_sdp_codec *red = alto_sdp_media_find_codec(m, "red", 48000);
		if (opus == NULL || strstr(m->proto, "SAVPF") == NULL) {
			reject(s, m);
			return;
		}
		s->rejected = false;
		s->opus_pt = opus->pt;
		alto_pc_impl_set_str(&s->opus_fmtp, opus->fmtp);
		recv = sends(remote);
		send = receives(remote) && (s->track_id != NULL || take_pending_track(pc, s) != NULL);
		s->direction = make_direction(send, recv);
		s->want = s->direction;
		s->red_pt = red && recv && !pc->disable_red ? red->pt : -1;
		s->nack = recv && !pc->disable_nack && alto_sdp_codec_has_rtcp_fb(m, opus, ALTO_SDP_RTCP_FB_NACK);
		read_extensions(s, m);
		if (recv)
			set_remote_track(s, m);
		else
			clear_remote_track(s);
		break;
	}
	case ALTO_PC_MEDIA_APPLICATION:
		if (strstr(m->proto, "SCTP") == NULL) {
			reject(s, m);
			return;
		}
		s->rejected = false;
		s->sctp_port = m->sctp_port ? m->sctp_port : PC_SCTP_PORT;
		s->direction = ALTO_SDP_DIRECTION_NONE;
		break;
	default:
		reject(s, m);	/* video and anything else: audio only */
		break;
	}
}

static bool remote_bundled(const struct alto_sdp *remote, const struct alto_sdp_media *t,
		const struct alto_sdp_media *m)
{
	/* without a BUNDLE group only the transport section itself can be used */
	if (remote->n_bundle == 0)
		return m == t;
	return m->mid && alto_sdp_is_bundled(remote, m->mid);
}

int alto_pc_set_remote_answer(struct alto_pc *pc, const char *text, uint32_t id)
{
	struct alto_sdp *remote = NULL;
	const struct alto_sdp_media *t;
	int res, line;

	if (pc == NULL || text == NULL)
		return -EINVAL;
	if (pc->closed)
		return -ENOTCONN;
	if (pc->signaling != PC_SIGNALING_HAVE_LOCAL_OFFER)
		return -EPROTO;
	if (id != 0 && id != pc->pending_offer_id)
		return -ESTALE;
	if ((res = alto_sdp_parse(text, strlen(text), &remote, &line)) < 0) {
		g_message("remote answer refused: %s at line %d", g_strerror(-res), line);
		return -EINVAL;
	}
	if (remote->n_media != pc->sections->len) {
		res = -EINVAL;
		goto done;
	}
	for (size_t i = 0; i < remote->n_media; i++) {
		const char *mid = remote->media[i].mid;
		if (mid == NULL || strcmp(mid, alto_pc_impl_section(pc, i)->mid) != 0) {
			res = -EINVAL;
			goto done;
		}
	}
	t = remote_transport(remote);
	if (t && (res = check_transport(pc, t, false)) < 0)
		goto done;

	if (t)
		apply_transport(pc, remote, t, false);
	for (size_t i = 0; i < remote->n_media; i++)
		apply_answer_section(pc, alto_pc_impl_section(pc, i), &remote->media[i],
				t && remote_bundled(remote, t, &remote->media[i]));
	pc->signaling = PC_SIGNALING_STABLE;
	pc->remote_applied = true;
	alto_pc_impl_maybe_start_dtls(pc);
	alto_pc_impl_update_state(pc);
	res = 0;
done:
	alto_sdp_free(remote);
	return res;
}

int alto_pc_set_remote_offer(struct alto_pc *pc, const char *text, uint32_t id)
{
	struct alto_sdp *remote = NULL;
	const struct alto_sdp_media *t;
	int res, line;

	if (pc == NULL || text == NULL)
		return -EINVAL;
	if (pc->closed)
		return -ENOTCONN;
	if (pc->signaling == PC_SIGNALING_HAVE_LOCAL_OFFER)
		return -EBUSY;
	if ((res = alto_sdp_parse(text, strlen(text), &remote, &line)) < 0) {
		g_message("remote offer refused: %s at line %d", g_strerror(-res), line);
		return -EINVAL;
	}
	/* the sections we know stay where they are; new ones may be appended */
	if (remote->n_media < pc->sections->len || remote->n_media == 0) {
		res = -EINVAL;
		goto error;
	}
	for (size_t i = 0; i < remote->n_media; i++) {
		const char *mid = remote->media[i].mid;
		if (mid == NULL || (i < pc->sections->len && strcmp(mid, alto_pc_impl_section(pc, i)->mid) != 0)) {
			res = -EINVAL;
			goto error;
		}
	}
	t = remote_transport(remote);
	if (t == NULL) {
		res = -EINVAL;		/* nothing we could connect to */
		goto error;
	}
	if ((res = check_transport(pc, t, true)) < 0)
		goto error;

	/* gather first, so candidates go into the answer */
	if ((res = alto_ice_gather(pc->ice)) < 0)
		goto error;
	apply_transport(pc, remote, t, true);
	for (size_t i = pc->sections->len; i < remote->n_media; i++) {
		const struct alto_sdp_media *m = &remote->media[i];
		struct pc_section *s = alto_pc_impl_section_new(pc, alto_pc_impl_media_kind(m->kind), m->kind, m->proto);
		s->mid = g_strdup(m->mid);
	}
	for (size_t i = 0; i < remote->n_media; i++)
		apply_offer_section(pc, alto_pc_impl_section(pc, i), &remote->media[i],
				remote_bundled(remote, t, &remote->media[i]));
	alto_sdp_free(pc->remote_offer);
	pc->remote_offer = remote;
	pc->remote_offer_id = id;
	pc->signaling = PC_SIGNALING_HAVE_REMOTE_OFFER;
	pc->remote_applied = true;
	alto_pc_impl_maybe_start_dtls(pc);
	alto_pc_impl_update_state(pc);
	return 0;
error:
	alto_sdp_free(remote);
	return res;
}
