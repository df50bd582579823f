/* alto rtc/transport: SDP parse and build.
 *
 * The subset of SDP (RFC 8866) that WebRTC audio with LiveKit needs: sessions and media sections
 * with mid, direction, ICE credentials, ice-lite, DTLS fingerprint and setup role, rtpmap/fmtp,
 * rtcp-fb, extmap, msid, ssrc, candidates, the BUNDLE group, rtcp-mux and m=application/SCTP.
 *
 * One struct describes both a parsed remote description and a local one to build: all strings
 * and arrays of a parsed or alto_sdp_new() description live in its arena and go away with
 * alto_sdp_free(). Parsing never trusts its input: malformed text gives -EINVAL (with the line
 * number), too much of it -E2BIG, never a crash. Unknown attributes are ignored.
 *
 * Thread: none of its own; pure functions, callable from any thread (alto calls them on the
 * network thread).
 */
#ifndef ALTO_RTC_TRANSPORT_SDP_H
#define ALTO_RTC_TRANSPORT_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ALTO_SDP_MAX_SIZE	(256 * 1024)	/* longer text is refused with -E2BIG */
#define ALTO_SDP_MAX_ITEMS	512		/* per list (media, codecs, candidates, ...) */

enum alto_sdp_direction {
	ALTO_SDP_DIRECTION_NONE = 0,	/* not written: sendrecv by default */
	ALTO_SDP_DIRECTION_SENDRECV,
	ALTO_SDP_DIRECTION_SENDONLY,
	ALTO_SDP_DIRECTION_RECVONLY,
	ALTO_SDP_DIRECTION_INACTIVE,
};

enum alto_sdp_setup {
	ALTO_SDP_SETUP_NONE = 0,
	ALTO_SDP_SETUP_ACTPASS,
	ALTO_SDP_SETUP_ACTIVE,
	ALTO_SDP_SETUP_PASSIVE,
	ALTO_SDP_SETUP_HOLDCONN,
};

#define ALTO_SDP_FINGERPRINT_MAX	64

struct alto_sdp_fingerprint {
	char algorithm[16];			/* lower case: "sha-256" */
	uint8_t value[ALTO_SDP_FINGERPRINT_MAX];
	size_t len;				/* 0: no fingerprint */
};

struct alto_sdp_codec {
	uint8_t pt;
	const char *name;			/* as written: "opus", "red", "telephone-event" */
	uint32_t clock_rate;
	uint32_t channels;			/* 0: not written (means 1) */
	const char *fmtp;			/* NULL: none */
	const char **rtcp_fb;			/* "nack", "transport-cc", ... */
	size_t n_rtcp_fb;
};

struct alto_sdp_extmap {
	uint16_t id;
	enum alto_sdp_direction direction;	/* NONE unless written as id/direction */
	const char *uri;
};

struct alto_sdp_ssrc {
	uint32_t ssrc;
	const char *cname;			/* NULL if absent */
	const char *msid_stream;		/* from "a=ssrc:N msid:stream track" */
	const char *msid_track;
};

struct alto_sdp_media {
	const char *kind;			/* "audio", "video", "application", ... */
	uint16_t port;				/* 0: rejected */
	const char *proto;			/* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ... */
	const char **formats;			/* the m= line's format list as written */
	size_t n_formats;
	const char *mid;			/* NULL if absent */
	enum alto_sdp_direction direction;
	/* Transport; a parsed description has the session-level value copied in when the
	 * section has none of its own. */
	const char *ice_ufrag;
	const char *ice_pwd;
	struct alto_sdp_fingerprint fingerprint;
	enum alto_sdp_setup setup;
	bool rtcp_mux;
	bool rtcp_rsize;
	bool end_of_candidates;
	const char **candidates;		/* "candidate:..." (without "a=") */
	size_t n_candidates;
	struct alto_sdp_codec *codecs;		/* in a=rtpmap order */
	size_t n_codecs;
	const char **rtcp_fb_all;		/* a=rtcp-fb:* <feedback>: for every codec */
	size_t n_rtcp_fb_all;
	struct alto_sdp_extmap *extmaps;
	size_t n_extmaps;
	const char *msid_stream;		/* a=msid:<stream> <track>; "-" means none */
	const char *msid_track;
	struct alto_sdp_ssrc *ssrcs;
	size_t n_ssrcs;
	uint16_t sctp_port;			/* m=application: a=sctp-port (or sctpmap) */
	uint32_t max_message_size;
};

struct alto_sdp {
	uint64_t session_id;
	uint64_t session_version;
	bool ice_lite;
	bool ice_trickle;			/* a=ice-options:trickle (anywhere) */
	/* session-level transport attributes, if any (also copied into each section) */
	const char *ice_ufrag;
	const char *ice_pwd;
	struct alto_sdp_fingerprint fingerprint;
	enum alto_sdp_setup setup;
	const char **bundle;			/* a=group:BUNDLE mids, first is the tagged one */
	size_t n_bundle;
	struct alto_sdp_media *media;
	size_t n_media;
	struct alto_sdp_arena *arena;		/* owns everything above */
};

/* Parse @len bytes of @text. On success *@result is a new description (alto_sdp_free()).
 * Returns 0, -EINVAL (malformed; *@error_line is the 1-based line if not NULL), -E2BIG,
 * -ENOMEM. */
int alto_sdp_parse(const char *text, size_t len, struct alto_sdp **result, int *error_line);

void alto_sdp_free(struct alto_sdp *sdp);

/* Write @sdp as SDP text (CRLF line ends). *@text is malloc()ed: free() it. Returns 0,
 * -EINVAL (a section without kind/proto), -ENOMEM. */
int alto_sdp_build(const struct alto_sdp *sdp, char **text);

/* Building a description by hand: an empty one, then sections and lists added into its arena.
 * A pointer returned by alto_sdp_add_media() stays valid only until the next call of it. */
struct alto_sdp *alto_sdp_new(void);
const char *alto_sdp_strdup(struct alto_sdp *sdp, const char *str);
struct alto_sdp_media *alto_sdp_add_media(struct alto_sdp *sdp, const char *kind,
		uint16_t port, const char *proto);
int alto_sdp_add_bundle_mid(struct alto_sdp *sdp, const char *mid);
int alto_sdp_media_add_format(struct alto_sdp *sdp, struct alto_sdp_media *m, const char *format);
struct alto_sdp_codec *alto_sdp_media_add_codec(struct alto_sdp *sdp, struct alto_sdp_media *m,
		uint8_t pt, const char *name, uint32_t clock_rate, uint32_t channels,
		const char *fmtp);
int alto_sdp_codec_add_rtcp_fb(struct alto_sdp *sdp, struct alto_sdp_codec *c, const char *fb);
/* a=rtcp-fb:* <fb> */
int alto_sdp_media_add_rtcp_fb_all(struct alto_sdp *sdp, struct alto_sdp_media *m, const char *fb);
int alto_sdp_media_add_extmap(struct alto_sdp *sdp, struct alto_sdp_media *m, uint16_t id,
		const char *uri);
int alto_sdp_media_add_ssrc(struct alto_sdp *sdp, struct alto_sdp_media *m, uint32_t ssrc,
		const char *cname, const char *msid_stream, const char *msid_track);
int alto_sdp_media_add_candidate(struct alto_sdp *sdp, struct alto_sdp_media *m,
		const char *candidate);

/* Look-ups. */
const struct alto_sdp_media *alto_sdp_find_media(const struct alto_sdp *sdp, const char *mid);
bool alto_sdp_is_bundled(const struct alto_sdp *sdp, const char *mid);
/* The first codec called @name (case-insensitive) at @clock_rate (0: any), or NULL. */
const struct alto_sdp_codec *alto_sdp_media_find_codec(const struct alto_sdp_media *m,
		const char *name, uint32_t clock_rate);
const struct alto_sdp_codec *alto_sdp_media_find_pt(const struct alto_sdp_media *m, uint8_t pt);
/* Whether codec @c of section @m has RTCP feedback @fb, by its own a=rtcp-fb lines or a=rtcp-fb:*
 * ones: the whole value, word by word, case-insensitive ("nack" is not "nack pli"). */
bool alto_sdp_codec_has_rtcp_fb(const struct alto_sdp_media *m, const struct alto_sdp_codec *c,
		const char *fb);
/* The id of header extension @uri, 0 when not there. */
uint16_t alto_sdp_media_find_extmap(const struct alto_sdp_media *m, const char *uri);
/* Whether the section can carry media at all: port != 0 and not inactive. */
bool alto_sdp_media_is_active(const struct alto_sdp_media *m);

/* "sha-256 AB:CD:..." <-> struct. Parse returns 0 or -EINVAL; format returns the length
 * written or -ENOSPC. */
int alto_sdp_fingerprint_parse(const char *text, struct alto_sdp_fingerprint *fp);
int alto_sdp_fingerprint_format(const struct alto_sdp_fingerprint *fp, char *buf, size_t size);

const char *alto_sdp_direction_name(enum alto_sdp_direction direction);
const char *alto_sdp_setup_name(enum alto_sdp_setup setup);
/* What the other side must answer/offer to us: sendonly <-> recvonly. */
enum alto_sdp_direction alto_sdp_direction_reverse(enum alto_sdp_direction direction);

/* LiveKit stream ids are "PA_xxx|TR_xxx" (or "PA_xxx|camera"): copy the participant sid, the
 * part before '|', into @buf. Returns its length, -EINVAL when there is no '|', -ENOSPC. */
int alto_sdp_msid_participant(const char *stream_id, char *buf, size_t size);

/* Well-known URIs and names. */
#define ALTO_SDP_EXT_SDES_MID		"urn:ietf:params:rtp-hdrext:sdes:mid"
#define ALTO_SDP_EXT_AUDIO_LEVEL	"urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define ALTO_SDP_RTCP_FB_NACK		"nack"	/* generic NACK, RFC 4585 */
#define ALTO_SDP_EXT_ABS_CAPTURE_TIME	"http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"

#ifdef __cplusplus
}
#endif

#endif /* ALTO_RTC_TRANSPORT_SDP_H */
