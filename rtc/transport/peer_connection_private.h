/* alto rtc/transport: the peer connection's insides, shared by peer_connection.c (life cycle,
 * ICE/DTLS/SRTP glue, media) and peer_connection_sdp.c (offer/answer).
 * Thread: the network thread (see peer_connection.h).
 */
#ifndef ALTO_RTC_TRANSPORT_PEER_CONNECTION_PRIVATE_H
#define ALTO_RTC_TRANSPORT_PEER_CONNECTION_PRIVATE_H

#include "dtls.h"
#include "ice.h"
#include "peer_connection.h"
#include "srtp.h"

#define PC_OPUS_PT		111
#define PC_RED_PT		63
#define PC_OPUS_FMTP		"minptime=10;useinbandfec=1"
#define PC_EXT_AUDIO_LEVEL	1
#define PC_EXT_MID		4
#define PC_MAX_PACKET		1400
#define PC_SCTP_PORT		5000
#define PC_MAX_MESSAGE_SIZE	262144
#define PC_MAX_QUEUED_CANDIDATES 64

enum pc_signaling {
	PC_SIGNALING_STABLE,
	PC_SIGNALING_HAVE_LOCAL_OFFER,
	PC_SIGNALING_HAVE_REMOTE_OFFER,
};

/* One m= section, in m-line order. */
struct pc_section {
	char *mid;
	enum alto_pc_media_kind kind;
	char *kind_name;		/* "audio", "video", "application", ... */
	char *proto;
	char *first_format;		/* to write a rejected section back */
	enum alto_sdp_direction want;	/* what we ask for in our offers */
	enum alto_sdp_direction direction; /* negotiated, ours (NONE before) */
	bool rejected;

	/* sending */
	char *track_id;
	char *stream_id;
	uint32_t ssrc;

	/* receiving, from the remote description */
	char *remote_stream_id;
	char *remote_track_id;
	uint32_t remote_ssrcs[ALTO_PC_MAX_SSRCS];
	size_t n_remote_ssrcs;

	/* negotiated */
	int opus_pt;
	int red_pt;
	char *opus_fmtp;
	int ext_audio_level;
	int ext_mid;
	int ext_abs_capture_time;
	bool nack;			/* receiving, generic NACK for Opus on both sides */

	/* m=application */
	uint16_t sctp_port;
	uint32_t max_message_size;
};

struct queued_candidate {
	char *candidate;
	char *ufrag;			/* NULL: any */
};

struct alto_pc {
	GMainContext *context;
	const struct alto_pc_events *events;
	void *data;
	bool disable_red;
	bool disable_nack;
	char *cname;

	struct alto_ice *ice;
	struct alto_dtls_identity *identity;
	struct alto_dtls *dtls;
	struct alto_srtp *srtp;
	char fingerprint_text[16 + ALTO_SDP_FINGERPRINT_MAX * 3 + 2];

	GPtrArray *sections;		/* struct pc_section*, in m-line order */
	GPtrArray *pending_tracks;	/* struct pc_section* of tracks not in a description yet */
	GHashTable *learnt_ssrcs;	/* ssrc -> section index + 1 */
	enum pc_signaling signaling;
	uint32_t next_offer_id;
	uint32_t pending_offer_id;	/* our offer awaiting its answer */
	uint32_t remote_offer_id;	/* the remote offer we answer */
	struct alto_sdp *remote_offer;	/* parsed, until create_answer */
	uint64_t session_id;
	uint64_t session_version;

	bool remote_applied;		/* a remote description was applied */
	bool local_published;		/* a description carrying our candidates went out */
	bool end_of_candidates_sent;
	char *remote_ufrag;
	struct alto_sdp_fingerprint remote_fingerprint;
	bool dtls_role_known;
	enum alto_dtls_role dtls_role;
	bool dtls_started;
	bool restart_pending;
	GPtrArray *queued_candidates;	/* struct queued_candidate* */
	bool remote_end_queued;

	enum alto_ice_state ice_state;
	bool dtls_failed;
	bool closed;
	GSource *teardown;		/* alto_pc_close() tears down from an idle callback */
	enum alto_pc_state state;

	/* separate buffers: an rtp/rtcp handler may send while it holds the received packet */
	uint8_t send_buffer[PC_MAX_PACKET + ALTO_SRTP_PROTECT_ROOM + 64];
	uint8_t receive_buffer[2048];
};

/* Shared by peer_connection.c and peer_connection_sdp.c, so global symbols of the static
 * library: prefixed like every other alto symbol (tests/rtc/check-symbols.sh checks it). */

/* peer_connection.c */
void alto_pc_impl_update_state(struct alto_pc *pc);
void alto_pc_impl_error(struct alto_pc *pc, int res, const char *message);
void alto_pc_impl_maybe_start_dtls(struct alto_pc *pc);
/* A new section at the end of pc->sections. */
struct pc_section *alto_pc_impl_section_new(struct alto_pc *pc, enum alto_pc_media_kind kind,
		const char *kind_name, const char *proto);
/* Move pending track @index into pc->sections with a fresh mid. */
struct pc_section *alto_pc_impl_place_pending_track(struct alto_pc *pc, guint index);
struct pc_section *alto_pc_impl_section(const struct alto_pc *pc, size_t index);
/* The section whose transport carries the bundle (the first one not rejected); -1: none. */
int alto_pc_impl_transport_index(const struct alto_pc *pc);
void alto_pc_impl_flush_queued_candidates(struct alto_pc *pc);
void alto_pc_impl_set_str(char **slot, const char *value);
enum alto_pc_media_kind alto_pc_impl_media_kind(const char *kind_name);

#endif /* ALTO_RTC_TRANSPORT_PEER_CONNECTION_PRIVATE_H */
