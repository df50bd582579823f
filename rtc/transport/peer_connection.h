/* alto rtc/transport: one WebRTC peer connection for audio.
 *
 * SDP offer/answer (BUNDLE, rtcp-mux, Opus with in-band FEC, RED accepted), ICE (libnice,
 * trickle both ways), DTLS-SRTP (OpenSSL, libsrtp2), and decrypted RTP/RTCP in and out. It
 * covers the LiveKit modes: single peer connection (we offer recvonly audio sections and
 * re-offer with more), legacy subscriber (the server offers, we answer; an offer with only
 * m=application is answered so ICE+DTLS come up, SCTP itself is not spoken) and legacy
 * publisher (we offer sendonly audio). RTP/RTCP payloads are not parsed here (rtc/media does
 * that); this only demultiplexes RTCP from RTP (payload type 64..95, RFC 5761) and maps SSRCs
 * to sections.
 *
 * Thread: the network thread. Everything is called on the thread iterating the GMainContext
 * given to alto_pc_new(), and every event fires there: from the context's dispatch (network
 * input, timers) or from inside an alto_pc_* call (e.g. state_changed from
 * alto_pc_set_remote_answer()). An event handler may call alto_pc_* functions but must not
 * destroy the alto_pc (defer that to an idle source).
 *
 * Errors are negative errno values.
 */
#ifndef ALTO_RTC_TRANSPORT_PEER_CONNECTION_H
#define ALTO_RTC_TRANSPORT_PEER_CONNECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "sdp.h"

#ifdef __cplusplus
extern "C" {
#endif

enum alto_pc_state {
	ALTO_PC_STATE_NEW,		/* nothing negotiated yet */
	ALTO_PC_STATE_CHECKING,		/* ICE checks or DTLS handshake under way */
	ALTO_PC_STATE_CONNECTED,	/* ICE and DTLS up, SRTP keyed: media flows */
	ALTO_PC_STATE_FAILED,		/* ICE failed (an ICE restart may recover) or DTLS failed */
	ALTO_PC_STATE_CLOSED,		/* alto_pc_close(), or the peer closed DTLS */
};

const char *alto_pc_state_name(enum alto_pc_state state);

/* As LiveKit's JoinResponse.ice_servers: "stun:", "turn:...?transport=udp|tcp", "turns:" URLs. */
struct alto_pc_ice_server {
	const char *const *urls;
	size_t n_urls;
	const char *username;
	const char *credential;
};

struct alto_pc_config {
	const struct alto_pc_ice_server *ice_servers;
	size_t n_ice_servers;
	bool force_relay;		/* ClientConfiguration.force_relay = ENABLED */
	bool ice_tcp;			/* ICE-TCP host candidates too */
	/* Host candidate addresses; NULL: 127.0.0.1 and this machine's IPv4 addresses. */
	const char *const *local_addresses;
	size_t n_local_addresses;
	bool disable_red;		/* neither offer nor accept RED (RFC 2198) for receiving */
	bool disable_nack;		/* neither offer nor accept generic NACK for receiving */
	const char *cname;		/* RTCP CNAME of our streams; NULL: a random one */
};

struct alto_pc_events {
#define ALTO_PC_EVENTS_VERSION 0
	uint32_t version;
	void (*state_changed)(void *data, enum alto_pc_state state);
	/* A local trickle candidate as JSON RTCIceCandidateInit
	 * {"candidate","sdpMid","sdpMLineIndex","usernameFragment"}; NULL when gathering is
	 * complete (LiveKit TrickleRequest.final). Only candidates found after the description
	 * that carries the others was returned; never fired from inside create_offer/answer. */
	void (*local_candidate)(void *data, const char *candidate_init_json);
	/* A decrypted RTP packet (header included). */
	void (*rtp)(void *data, const uint8_t *buf, size_t len);
	/* A decrypted RTCP compound packet. */
	void (*rtcp)(void *data, const uint8_t *buf, size_t len);
	/* Something went wrong that the caller should know, with a message for the log:
	 * -ECONNREFUSED the peer's DTLS certificate does not match its SDP fingerprint,
	 * -ETIMEDOUT DTLS handshake timeout, -EPROTO DTLS failure, -EIO ICE failure. */
	void (*error)(void *data, int res, const char *message);
};

struct alto_pc;

/* NULL on failure (errno set: EINVAL, ENOMEM, EIO). */
struct alto_pc *alto_pc_new(GMainContext *context, const struct alto_pc_config *config,
		const struct alto_pc_events *events, void *data);
/* Sends DTLS close_notify when connected, releases TURN allocations, frees. */
void alto_pc_destroy(struct alto_pc *pc);
/* Stop: state CLOSED, no more events. The object stays valid until destroyed. */
int alto_pc_close(struct alto_pc *pc);

enum alto_pc_state alto_pc_get_state(const struct alto_pc *pc);

/* ---- sections we add (they appear in the next offer) ---- */

/* @count more recvonly audio sections (single-PC mode; media_sections_requirement). */
int alto_pc_add_recv_audio(struct alto_pc *pc, unsigned count);

/* A sendonly audio section publishing track @track_id (LiveKit: the AddTrackRequest cid) in
 * stream @stream_id (NULL: "-"), a=msid:<stream_id> <track_id>. *@ssrc gets its SSRC.
 * As answerer, a recvonly section of the next remote offer takes it if no section has it.
 * -EEXIST if @track_id is already there. */
int alto_pc_add_local_audio_track(struct alto_pc *pc, const char *track_id,
		const char *stream_id, uint32_t *ssrc);
/* The section goes inactive in the next offer/answer. -ENOENT. */
int alto_pc_remove_local_audio_track(struct alto_pc *pc, const char *track_id);

/* ---- offer/answer; @id is LiveKit's SessionDescription.id ---- */

/* An offer with every section. *@sdp: malloc()ed text, free() it; *@id: 1, 2, ... -EINVAL
 * (no section to offer), -EBUSY (a remote offer is pending). */
int alto_pc_create_offer(struct alto_pc *pc, char **sdp, uint32_t *id);
/* The answer to our latest offer. @id 0 (unknown) is accepted; another id than the latest
 * offer's gives -ESTALE (an answer to an older offer: ignore it). -EINVAL malformed or not
 * matching the offer, -EPROTO no offer pending, -ENOTSUP (the DTLS fingerprint changed). */
int alto_pc_set_remote_answer(struct alto_pc *pc, const char *sdp, uint32_t id);
/* A remote offer (legacy subscriber PC); then alto_pc_create_answer(). -EINVAL, -EBUSY (our
 * own offer is pending), -ENOTSUP. A changed ice-ufrag is an ICE restart. */
int alto_pc_set_remote_offer(struct alto_pc *pc, const char *sdp, uint32_t id);
/* *@id: the id of the offer answered. -EPROTO when no remote offer is pending. */
int alto_pc_create_answer(struct alto_pc *pc, char **sdp, uint32_t *id);

/* A remote trickle candidate (JSON RTCIceCandidateInit; "candidate":"" = end of candidates).
 * Held until the remote description is there. -EINVAL malformed, -ESTALE for another ICE
 * generation (usernameFragment), -ENOTSUP (unusable here: mDNS name, TCP without ice_tcp,
 * RTCP component). */
int alto_pc_add_remote_candidate(struct alto_pc *pc, const char *candidate_init_json);

/* The next offer carries new ICE credentials (RFC 8445 9). Media keeps flowing on the
 * current pair until the new checks are done. */
int alto_pc_restart_ice(struct alto_pc *pc);
/* True from alto_pc_restart_ice() (or a remote restart) until its checks concluded. */
bool alto_pc_ice_restart_pending(const struct alto_pc *pc);

/* ---- media (CONNECTED only, else -ENOTCONN) ---- */

/* Protect and send one RTP packet (RTCP compound packet). @len <= 1400. -EINVAL, -EMSGSIZE. */
int alto_pc_send_rtp(struct alto_pc *pc, const uint8_t *buf, size_t len);
int alto_pc_send_rtcp(struct alto_pc *pc, const uint8_t *buf, size_t len);

/* ---- what was negotiated, for mapping SSRCs to tracks ---- */

enum alto_pc_media_kind {
	ALTO_PC_MEDIA_AUDIO,
	ALTO_PC_MEDIA_VIDEO,
	ALTO_PC_MEDIA_APPLICATION,
	ALTO_PC_MEDIA_OTHER,
};

#define ALTO_PC_MAX_SSRCS	8

struct alto_pc_media_info {
	unsigned index;				/* m-line index */
	char mid[64];
	enum alto_pc_media_kind kind;
	enum alto_sdp_direction direction;	/* ours, as negotiated (NONE: not yet) */
	bool rejected;				/* port 0 */
	/* receiving: the peer's a=msid and SSRCs (a=ssrc lines, or learnt from RTP) */
	char remote_stream_id[128];		/* LiveKit: "PA_xxx|TR_xxx" */
	char remote_track_id[128];		/* LiveKit: "TR_xxx" */
	uint32_t remote_ssrcs[ALTO_PC_MAX_SSRCS];
	size_t n_remote_ssrcs;
	/* sending */
	char local_track_id[128];
	uint32_t local_ssrc;			/* 0: not sending */
	/* negotiated payload types (-1: none) and header extension ids (0: none) */
	int opus_pt;
	int red_pt;
	int ext_audio_level;
	int ext_mid;
	int ext_abs_capture_time;
	/* receiving: generic NACK (RFC 4585) negotiated for Opus (both sides said
	 * a=rtcp-fb:<opus> nack): the peer retransmits what we ask for */
	bool nack;
};

size_t alto_pc_n_media(const struct alto_pc *pc);
int alto_pc_get_media(const struct alto_pc *pc, size_t index, struct alto_pc_media_info *info);
int alto_pc_find_media_by_mid(const struct alto_pc *pc, const char *mid,
		struct alto_pc_media_info *info);
/* The section receiving @ssrc: from a=ssrc lines, else learnt from incoming RTP (the sdes:mid
 * header extension, or the only receiving section). -ENOENT. */
int alto_pc_find_media_by_ssrc(const struct alto_pc *pc, uint32_t ssrc,
		struct alto_pc_media_info *info);

/* Our DTLS certificate fingerprint, "sha-256 AB:CD:..." (for logs and tests). */
const char *alto_pc_local_fingerprint(const struct alto_pc *pc);

#ifdef __cplusplus
}
#endif

#endif /* ALTO_RTC_TRANSPORT_PEER_CONNECTION_H */
