/* alto rtc/transport: SDP parser, the arena behind a description, look-ups.
 *
 * The parser copies each line into the description's arena and cuts it into NUL-terminated
 * tokens in place; the structs point into those copies. Every list grows inside the arena, so
 * freeing a description is freeing its arena, whatever state a failed parse left it in.
 * Thread: any (no shared state).
 */
#include "sdp.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- arena ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	size_t size;
	max_align_t data[];
};

struct alto_sdp_arena {
	struct arena_chunk *head;
};

#define ARENA_CHUNK_SIZE	8192

static void *arena_alloc(struct alto_sdp_arena *arena, size_t size)
{
	struct arena_chunk *c = arena->head;

	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (c == NULL || c->size - c->used < size) {
		size_t chunk = size > ARENA_CHUNK_SIZE ? size : ARENA_CHUNK_SIZE;
		c = malloc(sizeof(*c) + chunk);
		if (c == NULL)
			return NULL;
		c->next = arena->head;
		c->used = 0;
		c->size = chunk;
		arena->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

static char *arena_strndup(struct alto_sdp_arena *arena, const char *s, size_t len)
{
	char *p = arena_alloc(arena, len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Append a zeroed element to an arena array of *n elements. The capacity is implicit (the
 * next power of two, at least 4), so no field is needed to track it. Returns NULL on -ENOMEM
 * or when the list reached ALTO_SDP_MAX_ITEMS. */
static void *arena_push(struct alto_sdp_arena *arena, void *array_ptr, size_t *n, size_t elem)
{
	void **array = array_ptr;
	size_t count = *n;

	if (count >= ALTO_SDP_MAX_ITEMS)
		return NULL;
	if (count == 0 || (count >= 4 && (count & (count - 1)) == 0)) {
		size_t cap = count == 0 ? 4 : count * 2;
		void *grown = arena_alloc(arena, cap * elem);
		if (grown == NULL)
			return NULL;
		if (count > 0)
			memcpy(grown, *array, count * elem);
		*array = grown;
	}
	*n = count + 1;
	return (char *)*array + count * elem;
}

struct alto_sdp *alto_sdp_new(void)
{
	struct alto_sdp_arena arena = { NULL };
	struct alto_sdp_arena *a;
	struct alto_sdp *sdp;

	/* the arena struct itself lives in its first chunk */
	a = arena_alloc(&arena, sizeof(*a));
	if (a == NULL)
		return NULL;
	*a = arena;
	sdp = arena_alloc(a, sizeof(*sdp));
	if (sdp == NULL) {
		struct arena_chunk *c = a->head;
		while (c) {
			struct arena_chunk *next = c->next;
			free(c);
			c = next;
		}
		return NULL;
	}
	sdp->arena = a;
	return sdp;
}

void alto_sdp_free(struct alto_sdp *sdp)
{
	if (sdp == NULL || sdp->arena == NULL)
		return;
	struct arena_chunk *c = sdp->arena->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
}

const char *alto_sdp_strdup(struct alto_sdp *sdp, const char *str)
{
	if (sdp == NULL || str == NULL)
		return NULL;
	return arena_strndup(sdp->arena, str, strlen(str));
}

struct alto_sdp_media *alto_sdp_add_media(struct alto_sdp *sdp, const char *kind,
		uint16_t port, const char *proto)
{
	struct alto_sdp_media *m;

	if (sdp == NULL || kind == NULL || proto == NULL)
		return NULL;
	m = arena_push(sdp->arena, &sdp->media, &sdp->n_media, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->kind = alto_sdp_strdup(sdp, kind);
	m->proto = alto_sdp_strdup(sdp, proto);
	m->port = port;
	if (m->kind == NULL || m->proto == NULL) {
		sdp->n_media--;
		return NULL;
	}
	return m;
}

static int push_string(struct alto_sdp *sdp, const char ***list, size_t *n, const char *str,
		bool copy)
{
	const char **slot;

	if (str == NULL)
		return -EINVAL;
	slot = arena_push(sdp->arena, list, n, sizeof(*slot));
	if (slot == NULL)
		return *n >= ALTO_SDP_MAX_ITEMS ? -E2BIG : -ENOMEM;
	*slot = copy ? alto_sdp_strdup(sdp, str) : str;
	if (*slot == NULL) {
		(*n)--;
		return -ENOMEM;
	}
	return 0;
}

int alto_sdp_add_bundle_mid(struct alto_sdp *sdp, const char *mid)
{
	if (sdp == NULL)
		return -EINVAL;
	return push_string(sdp, &sdp->bundle, &sdp->n_bundle, mid, true);
}

int alto_sdp_media_add_format(struct alto_sdp *sdp, struct alto_sdp_media *m, const char *format)
{
	if (sdp == NULL || m == NULL)
		return -EINVAL;
	return push_string(sdp, &m->formats, &m->n_formats, format, true);
}

int alto_sdp_media_add_candidate(struct alto_sdp *sdp, struct alto_sdp_media *m,
		const char *candidate)
{
	if (sdp == NULL || m == NULL)
		return -EINVAL;
	return push_string(sdp, &m->candidates, &m->n_candidates, candidate, true);
}

struct alto_sdp_codec *alto_sdp_media_add_codec(struct alto_sdp *sdp, struct alto_sdp_media *m,
		uint8_t pt, const char *name, uint32_t clock_rate, uint32_t channels,
		const char *fmtp)
{
	struct alto_sdp_codec *c;

	if (sdp == NULL || m == NULL || name == NULL || pt > 127)
		return NULL;
	c = arena_push(sdp->arena, &m->codecs, &m->n_codecs, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->pt = pt;
	c->name = alto_sdp_strdup(sdp, name);
	c->clock_rate = clock_rate;
	c->channels = channels;
	c->fmtp = fmtp ? alto_sdp_strdup(sdp, fmtp) : NULL;
	if (c->name == NULL || (fmtp && c->fmtp == NULL)) {
		m->n_codecs--;
		return NULL;
	}
	return c;
}

int alto_sdp_codec_add_rtcp_fb(struct alto_sdp *sdp, struct alto_sdp_codec *c, const char *fb)
{
	if (sdp == NULL || c == NULL)
		return -EINVAL;
	return push_string(sdp, &c->rtcp_fb, &c->n_rtcp_fb, fb, true);
}

int alto_sdp_media_add_rtcp_fb_all(struct alto_sdp *sdp, struct alto_sdp_media *m, const char *fb)
{
	if (sdp == NULL || m == NULL)
		return -EINVAL;
	return push_string(sdp, &m->rtcp_fb_all, &m->n_rtcp_fb_all, fb, true);
}

int alto_sdp_media_add_extmap(struct alto_sdp *sdp, struct alto_sdp_media *m, uint16_t id,
		const char *uri)
{
	struct alto_sdp_extmap *e;

	if (sdp == NULL || m == NULL || uri == NULL || id == 0 || id > 255)
		return -EINVAL;
	e = arena_push(sdp->arena, &m->extmaps, &m->n_extmaps, sizeof(*e));
	if (e == NULL)
		return m->n_extmaps >= ALTO_SDP_MAX_ITEMS ? -E2BIG : -ENOMEM;
	e->id = id;
	e->uri = alto_sdp_strdup(sdp, uri);
	if (e->uri == NULL) {
		m->n_extmaps--;
		return -ENOMEM;
	}
	return 0;
}

int alto_sdp_media_add_ssrc(struct alto_sdp *sdp, struct alto_sdp_media *m, uint32_t ssrc,
		const char *cname, const char *msid_stream, const char *msid_track)
{
	struct alto_sdp_ssrc *s;

	if (sdp == NULL || m == NULL)
		return -EINVAL;
	s = arena_push(sdp->arena, &m->ssrcs, &m->n_ssrcs, sizeof(*s));
	if (s == NULL)
		return m->n_ssrcs >= ALTO_SDP_MAX_ITEMS ? -E2BIG : -ENOMEM;
	s->ssrc = ssrc;
	s->cname = alto_sdp_strdup(sdp, cname);
	s->msid_stream = alto_sdp_strdup(sdp, msid_stream);
	s->msid_track = alto_sdp_strdup(sdp, msid_track);
	if ((cname && !s->cname) || (msid_stream && !s->msid_stream) ||
	    (msid_track && !s->msid_track)) {
		m->n_ssrcs--;
		return -ENOMEM;
	}
	return 0;
}

/* ---- small helpers ---- */

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	if (!parse_u64(s, max, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Cut the next space-separated token out of *cursor (in place). NULL when none is left. */
static char *next_token(char **cursor)
{
	char *s = *cursor, *start;

	if (s == NULL)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*cursor = s;
		return NULL;
	}
	start = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s) {
		*s = '\0';
		s++;
	}
	*cursor = s;
	return start;
}

static char *skip_spaces(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int alto_sdp_fingerprint_parse(const char *text, struct alto_sdp_fingerprint *fp)
{
	const char *p;
	size_t alg_len, n = 0;

	if (text == NULL || fp == NULL)
		return -EINVAL;
	memset(fp, 0, sizeof(*fp));
	while (*text == ' ')
		text++;
	p = strchr(text, ' ');
	if (p == NULL)
		return -EINVAL;
	alg_len = (size_t)(p - text);
	if (alg_len == 0 || alg_len >= sizeof(fp->algorithm))
		return -EINVAL;
	for (size_t i = 0; i < alg_len; i++) {
		char c = (char)tolower((unsigned char)text[i]);
		if (!isalnum((unsigned char)c) && c != '-')
			return -EINVAL;
		fp->algorithm[i] = c;
	}
	p++;
	while (*p == ' ')
		p++;
	for (;;) {
		int hi = hex_value(p[0]), lo = hi < 0 ? -1 : hex_value(p[1]);
		if (hi < 0 || lo < 0 || n >= ALTO_SDP_FINGERPRINT_MAX)
			goto invalid;
		fp->value[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (*p == ':') {
			p++;
			continue;
		}
		break;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		goto invalid;
	fp->len = n;
	return 0;
invalid:
	memset(fp, 0, sizeof(*fp));
	return -EINVAL;
}

int alto_sdp_fingerprint_format(const struct alto_sdp_fingerprint *fp, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t alg, need, pos;

	if (fp == NULL || buf == NULL || fp->len == 0 || fp->len > ALTO_SDP_FINGERPRINT_MAX)
		return -EINVAL;
	alg = strnlen(fp->algorithm, sizeof(fp->algorithm));
	need = alg + 1 + fp->len * 3;	/* "alg " + "XX:" per byte, the last ':' becomes NUL */
	if (size < need)
		return -ENOSPC;
	memcpy(buf, fp->algorithm, alg);
	buf[alg] = ' ';
	pos = alg + 1;
	for (size_t i = 0; i < fp->len; i++) {
		buf[pos++] = hex[fp->value[i] >> 4];
		buf[pos++] = hex[fp->value[i] & 0xf];
		buf[pos++] = i + 1 < fp->len ? ':' : '\0';
	}
	return (int)(pos - 1);
}

static const char *const direction_names[] = {
	[ALTO_SDP_DIRECTION_NONE] = "",
	[ALTO_SDP_DIRECTION_SENDRECV] = "sendrecv",
	[ALTO_SDP_DIRECTION_SENDONLY] = "sendonly",
	[ALTO_SDP_DIRECTION_RECVONLY] = "recvonly",
	[ALTO_SDP_DIRECTION_INACTIVE] = "inactive",
};

static const char *const setup_names[] = {
	[ALTO_SDP_SETUP_NONE] = "",
	[ALTO_SDP_SETUP_ACTPASS] = "actpass",
	[ALTO_SDP_SETUP_ACTIVE] = "active",
	[ALTO_SDP_SETUP_PASSIVE] = "passive",
	[ALTO_SDP_SETUP_HOLDCONN] = "holdconn",
};

const char *alto_sdp_direction_name(enum alto_sdp_direction direction)
{
	if ((unsigned)direction > ALTO_SDP_DIRECTION_INACTIVE)
		return "";
	return direction_names[direction];
}

const char *alto_sdp_setup_name(enum alto_sdp_setup setup)
{
	if ((unsigned)setup > ALTO_SDP_SETUP_HOLDCONN)
		return "";
	return setup_names[setup];
}

enum alto_sdp_direction alto_sdp_direction_reverse(enum alto_sdp_direction direction)
{
	switch (direction) {
	case ALTO_SDP_DIRECTION_SENDONLY:
		return ALTO_SDP_DIRECTION_RECVONLY;
	case ALTO_SDP_DIRECTION_RECVONLY:
		return ALTO_SDP_DIRECTION_SENDONLY;
	default:
		return direction;
	}
}

int alto_sdp_msid_participant(const char *stream_id, char *buf, size_t size)
{
	const char *bar;
	size_t len;

	if (stream_id == NULL || buf == NULL)
		return -EINVAL;
	bar = strchr(stream_id, '|');
	if (bar == NULL || bar == stream_id)
		return -EINVAL;
	len = (size_t)(bar - stream_id);
	if (len + 1 > size)
		return -ENOSPC;
	memcpy(buf, stream_id, len);
	buf[len] = '\0';
	return (int)len;
}

/* ---- look-ups ---- */

const struct alto_sdp_media *alto_sdp_find_media(const struct alto_sdp *sdp, const char *mid)
{
	if (sdp == NULL || mid == NULL)
		return NULL;
	for (size_t i = 0; i < sdp->n_media; i++)
		if (sdp->media[i].mid && strcmp(sdp->media[i].mid, mid) == 0)
			return &sdp->media[i];
	return NULL;
}

bool alto_sdp_is_bundled(const struct alto_sdp *sdp, const char *mid)
{
	if (sdp == NULL || mid == NULL)
		return false;
	for (size_t i = 0; i < sdp->n_bundle; i++)
		if (strcmp(sdp->bundle[i], mid) == 0)
			return true;
	return false;
}

const struct alto_sdp_codec *alto_sdp_media_find_codec(const struct alto_sdp_media *m,
		const char *name, uint32_t clock_rate)
{
	if (m == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < m->n_codecs; i++) {
		const struct alto_sdp_codec *c = &m->codecs[i];
		if (strcasecmp(c->name, name) == 0 && (clock_rate == 0 || c->clock_rate == clock_rate))
			return c;
	}
	return NULL;
}

const struct alto_sdp_codec *alto_sdp_media_find_pt(const struct alto_sdp_media *m, uint8_t pt)
{
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

/* The same words, whatever the spaces and case. */
static bool same_words(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '\t')
			a++;
		while (*b == ' ' || *b == '\t')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		while (*a && *a != ' ' && *a != '\t' && *b && *b != ' ' && *b != '\t') {
			if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
				return false;
			a++;
			b++;
		}
		if ((*a && *a != ' ' && *a != '\t') || (*b && *b != ' ' && *b != '\t'))
			return false;	/* one word goes on */
	}
}

bool alto_sdp_codec_has_rtcp_fb(const struct alto_sdp_media *m, const struct alto_sdp_codec *c,
		const char *fb)
{
	if (fb == NULL)
		return false;
	for (size_t i = 0; c && i < c->n_rtcp_fb; i++)
		if (same_words(c->rtcp_fb[i], fb))
			return true;
	for (size_t i = 0; m && i < m->n_rtcp_fb_all; i++)
		if (same_words(m->rtcp_fb_all[i], fb))
			return true;
	return false;
}

uint16_t alto_sdp_media_find_extmap(const struct alto_sdp_media *m, const char *uri)
{
	if (m == NULL || uri == NULL)
		return 0;
	for (size_t i = 0; i < m->n_extmaps; i++)
		if (strcmp(m->extmaps[i].uri, uri) == 0)
			return m->extmaps[i].id;
	return 0;
}

bool alto_sdp_media_is_active(const struct alto_sdp_media *m)
{
	return m != NULL && m->port != 0 && m->direction != ALTO_SDP_DIRECTION_INACTIVE;
}

/* ---- parser ---- */

struct parser {
	struct alto_sdp *sdp;
	struct alto_sdp_media *media;	/* current section, NULL at session level */
	enum alto_sdp_direction session_direction;
	bool seen_version;
};

static int parse_direction(const char *name, enum alto_sdp_direction *out)
{
	for (int d = ALTO_SDP_DIRECTION_SENDRECV; d <= ALTO_SDP_DIRECTION_INACTIVE; d++) {
		if (strcmp(name, direction_names[d]) == 0) {
			*out = (enum alto_sdp_direction)d;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_media_line(struct parser *p, char *value)
{
	struct alto_sdp *sdp = p->sdp;
	char *kind = next_token(&value), *port = next_token(&value), *proto = next_token(&value);
	char *slash, *fmt;
	uint32_t port_number;
	struct alto_sdp_media *m;
	int res;

	if (kind == NULL || port == NULL || proto == NULL)
		return -EINVAL;
	slash = strchr(port, '/');	/* "port/number-of-ports" */
	if (slash)
		*slash = '\0';
	if (!parse_u32(port, 65535, &port_number))
		return -EINVAL;
	if (slash && !parse_u32(slash + 1, 65535, &(uint32_t){ 0 }))
		return -EINVAL;
	m = arena_push(sdp->arena, &sdp->media, &sdp->n_media, sizeof(*m));
	if (m == NULL)
		return sdp->n_media >= ALTO_SDP_MAX_ITEMS ? -E2BIG : -ENOMEM;
	m->kind = kind;
	m->port = (uint16_t)port_number;
	m->proto = proto;
	p->media = m;
	while ((fmt = next_token(&value)) != NULL)
		if ((res = push_string(sdp, &m->formats, &m->n_formats, fmt, false)) < 0)
			return res;
	return 0;
}

static struct alto_sdp_codec *find_codec_pt(struct alto_sdp_media *m, uint32_t pt)
{
	for (size_t i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

/* fmtp and rtcp-fb may come before their rtpmap: a codec without a name is created then and
 * named by the rtpmap, or dropped at the end of the section. */
static struct alto_sdp_codec *get_codec_pt(struct parser *p, uint32_t pt)
{
	struct alto_sdp_codec *c = find_codec_pt(p->media, pt);
	if (c == NULL) {
		c = arena_push(p->sdp->arena, &p->media->codecs, &p->media->n_codecs, sizeof(*c));
		if (c)
			c->pt = (uint8_t)pt;
	}
	return c;
}

static int parse_rtpmap(struct parser *p, char *value)
{
	char *pt_text = next_token(&value), *enc = next_token(&value);
	char *name, *clock, *channels;
	uint32_t pt, clock_rate, channel_count = 0;
	struct alto_sdp_codec *c;

	if (pt_text == NULL || enc == NULL || next_token(&value) != NULL)
		return -EINVAL;
	if (!parse_u32(pt_text, 127, &pt))
		return -EINVAL;
	name = enc;
	clock = strchr(enc, '/');
	if (clock == NULL || clock == name)
		return -EINVAL;
	*clock++ = '\0';
	channels = strchr(clock, '/');
	if (channels) {
		*channels++ = '\0';
		if (!parse_u32(channels, 255, &channel_count))
			return -EINVAL;
	}
	if (!parse_u32(clock, UINT32_MAX, &clock_rate))
		return -EINVAL;
	c = find_codec_pt(p->media, pt);
	if (c && c->name)
		return -EINVAL;			/* the same payload type mapped twice */
	if (c == NULL && (c = get_codec_pt(p, pt)) == NULL)
		return p->media->n_codecs >= ALTO_SDP_MAX_ITEMS ? -E2BIG : -ENOMEM;
	c->name = name;
	c->clock_rate = clock_rate;
	c->channels = channel_count;
	return 0;
}

/* "a=fmtp:<pt> <params>" and "a=rtcp-fb:<pt> <feedback>" */
static int parse_codec_attribute(struct parser *p, char *value, bool fmtp)
{
	char *pt_text = next_token(&value);
	uint32_t pt;
	struct alto_sdp_codec *c;

	if (pt_text == NULL)
		return -EINVAL;
	value = skip_spaces(value);
	if (!fmtp && strcmp(pt_text, "*") == 0) {	/* feedback for every payload type */
		if (*value == '\0')
			return 0;		/* tolerated as before: nothing to note */
		return push_string(p->sdp, &p->media->rtcp_fb_all, &p->media->n_rtcp_fb_all, value, false);
	}
	if (!parse_u32(pt_text, 127, &pt))
		return -EINVAL;
	c = get_codec_pt(p, pt);
	if (c == NULL)
		return p->media->n_codecs >= ALTO_SDP_MAX_ITEMS ? -E2BIG : -ENOMEM;
	if (fmtp) {
		if (c->fmtp == NULL)
			c->fmtp = value;
		return 0;
	}
	if (*value == '\0')
		return -EINVAL;
	return push_string(p->sdp, &c->rtcp_fb, &c->n_rtcp_fb, value, false);
}

static int parse_extmap(struct parser *p, char *value)
{
	char *id_text = next_token(&value), *uri = next_token(&value), *slash;
	uint32_t id;
	enum alto_sdp_direction direction = ALTO_SDP_DIRECTION_NONE;
	struct alto_sdp_extmap *e;

	if (id_text == NULL || uri == NULL)
		return -EINVAL;
	slash = strchr(id_text, '/');
	if (slash) {
		*slash++ = '\0';
		if (parse_direction(slash, &direction) < 0)
			return -EINVAL;
	}
	if (!parse_u32(id_text, 255, &id) || id == 0)
		return -EINVAL;
	e = arena_push(p->sdp->arena, &p->media->extmaps, &p->media->n_extmaps, sizeof(*e));
	if (e == NULL)
		return p->media->n_extmaps >= ALTO_SDP_MAX_ITEMS ? -E2BIG : -ENOMEM;
	e->id = (uint16_t)id;
	e->direction = direction;
	e->uri = uri;
	return 0;
}

static int parse_ssrc(struct parser *p, char *value)
{
	struct alto_sdp_media *m = p->media;
	char *ssrc_text = next_token(&value), *attr, *attr_value;
	uint32_t ssrc;
	struct alto_sdp_ssrc *s = NULL;

	if (ssrc_text == NULL || !parse_u32(ssrc_text, UINT32_MAX, &ssrc))
		return -EINVAL;
	attr = skip_spaces(value);
	if (*attr == '\0')
		return -EINVAL;
	for (size_t i = 0; i < m->n_ssrcs; i++)
		if (m->ssrcs[i].ssrc == ssrc)
			s = &m->ssrcs[i];
	if (s == NULL) {
		s = arena_push(p->sdp->arena, &m->ssrcs, &m->n_ssrcs, sizeof(*s));
		if (s == NULL)
			return m->n_ssrcs >= ALTO_SDP_MAX_ITEMS ? -E2BIG : -ENOMEM;
		s->ssrc = ssrc;
	}
	attr_value = strchr(attr, ':');
	if (attr_value == NULL)
		return 0;
	*attr_value++ = '\0';
	if (strcmp(attr, "cname") == 0) {
		s->cname = attr_value;
	} else if (strcmp(attr, "msid") == 0) {
		char *stream = next_token(&attr_value), *track = next_token(&attr_value);
		if (stream == NULL)
			return -EINVAL;
		s->msid_stream = stream;
		s->msid_track = track;
	}
	return 0;
}

static int parse_setup(const char *value, enum alto_sdp_setup *out)
{
	for (int s = ALTO_SDP_SETUP_ACTPASS; s <= ALTO_SDP_SETUP_HOLDCONN; s++) {
		if (strcmp(value, setup_names[s]) == 0) {
			*out = (enum alto_sdp_setup)s;
			return 0;
		}
	}
	return -EINVAL;
}

static bool is_single_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s == ' ' || *s == '\t')
			return false;
	return true;
}

static int parse_attribute(struct parser *p, char *line)
{
	struct alto_sdp *sdp = p->sdp;
	struct alto_sdp_media *m = p->media;
	char *name = line, *value = strchr(line, ':');
	enum alto_sdp_direction direction;

	if (value)
		*value++ = '\0';
	else
		value = line + strlen(line);
	if (*name == '\0')
		return -EINVAL;

	if (parse_direction(name, &direction) == 0) {
		if (m)
			m->direction = direction;
		else
			p->session_direction = direction;
		return 0;
	}
	if (strcmp(name, "ice-lite") == 0) {
		sdp->ice_lite = true;
		return 0;
	}
	if (strcmp(name, "ice-ufrag") == 0 || strcmp(name, "ice-pwd") == 0) {
		bool ufrag = name[4] == 'u';
		if (!is_single_token(value))
			return -EINVAL;
		if (m)
			*(ufrag ? &m->ice_ufrag : &m->ice_pwd) = value;
		else
			*(ufrag ? &sdp->ice_ufrag : &sdp->ice_pwd) = value;
		return 0;
	}
	if (strcmp(name, "ice-options") == 0) {
		char *option;
		while ((option = next_token(&value)) != NULL)
			if (strcmp(option, "trickle") == 0)
				sdp->ice_trickle = true;
		return 0;
	}
	if (strcmp(name, "fingerprint") == 0) {
		struct alto_sdp_fingerprint fp, *slot = m ? &m->fingerprint : &sdp->fingerprint;
		if (alto_sdp_fingerprint_parse(value, &fp) < 0)
			return -EINVAL;
		/* several may be given: keep the first, unless a sha-256 one comes later */
		if (slot->len == 0 || (strcmp(fp.algorithm, "sha-256") == 0 &&
					strcmp(slot->algorithm, "sha-256") != 0))
			*slot = fp;
		return 0;
	}
	if (strcmp(name, "setup") == 0)
		return parse_setup(value, m ? &m->setup : &sdp->setup);
	if (strcmp(name, "group") == 0) {
		char *semantics = next_token(&value), *mid;
		int res;
		if (semantics == NULL)
			return -EINVAL;
		if (strcmp(semantics, "BUNDLE") != 0 || sdp->n_bundle > 0 || m != NULL)
			return 0;	/* other groups, a second BUNDLE: not used by alto */
		while ((mid = next_token(&value)) != NULL)
			if ((res = push_string(sdp, &sdp->bundle, &sdp->n_bundle, mid, false)) < 0)
				return res;
		return 0;
	}
	if (strcmp(name, "end-of-candidates") == 0) {
		if (m)
			m->end_of_candidates = true;
		else
			for (size_t i = 0; i < sdp->n_media; i++)
				sdp->media[i].end_of_candidates = true;
		return 0;
	}

	if (m == NULL)
		return 0;		/* other attributes are media-level only */

	if (strcmp(name, "mid") == 0) {
		if (!is_single_token(value))
			return -EINVAL;
		m->mid = value;
	} else if (strcmp(name, "rtcp-mux") == 0) {
		m->rtcp_mux = true;
	} else if (strcmp(name, "rtcp-rsize") == 0) {
		m->rtcp_rsize = true;
	} else if (strcmp(name, "rtpmap") == 0) {
		return parse_rtpmap(p, value);
	} else if (strcmp(name, "fmtp") == 0) {
		return parse_codec_attribute(p, value, true);
	} else if (strcmp(name, "rtcp-fb") == 0) {
		return parse_codec_attribute(p, value, false);
	} else if (strcmp(name, "extmap") == 0) {
		return parse_extmap(p, value);
	} else if (strcmp(name, "msid") == 0) {
		char *stream = next_token(&value), *track = next_token(&value);
		if (stream == NULL)
			return -EINVAL;
		m->msid_stream = stream;
		m->msid_track = track;
	} else if (strcmp(name, "ssrc") == 0) {
		return parse_ssrc(p, value);
	} else if (strcmp(name, "candidate") == 0) {
		/* keep the "candidate:" prefix, as RTCIceCandidateInit.candidate has it */
		if (*value == '\0')
			return -EINVAL;
		value[-1] = ':';
		return push_string(sdp, &m->candidates, &m->n_candidates, name, false);
	} else if (strcmp(name, "sctp-port") == 0) {
		uint32_t port;
		if (!parse_u32(value, 65535, &port))
			return -EINVAL;
		m->sctp_port = (uint16_t)port;
	} else if (strcmp(name, "sctpmap") == 0) {
		char *port_text = next_token(&value);
		uint32_t port;
		if (port_text == NULL || !parse_u32(port_text, 65535, &port))
			return -EINVAL;
		m->sctp_port = (uint16_t)port;
	} else if (strcmp(name, "max-message-size") == 0) {
		uint32_t size;
		if (!parse_u32(value, UINT32_MAX, &size))
			return -EINVAL;
		m->max_message_size = size;
	}
	return 0;
}

static int parse_origin(struct parser *p, char *value)
{
	char *user = next_token(&value), *id = next_token(&value), *version = next_token(&value);

	if (user == NULL || id == NULL || version == NULL)
		return -EINVAL;
	if (!parse_u64(id, UINT64_MAX, &p->sdp->session_id) ||
	    !parse_u64(version, UINT64_MAX, &p->sdp->session_version))
		return -EINVAL;
	return 0;
}

static int parse_line(struct parser *p, char *line)
{
	char type = line[0];

	if (line[1] != '=' || type < 'a' || type > 'z')
		return -EINVAL;
	line += 2;
	if (!p->seen_version) {
		p->seen_version = true;
		return type == 'v' && strcmp(line, "0") == 0 ? 0 : -EINVAL;
	}
	switch (type) {
	case 'v':
		return -EINVAL;		/* only once, first */
	case 'o':
		return p->media == NULL ? parse_origin(p, line) : -EINVAL;
	case 'm':
		return parse_media_line(p, line);
	case 'a':
		return parse_attribute(p, line);
	default:
		return 0;		/* s= t= c= b= i= ...: nothing alto needs */
	}
}

static int finish(struct parser *p)
{
	struct alto_sdp *sdp = p->sdp;

	for (size_t i = 0; i < sdp->n_media; i++) {
		struct alto_sdp_media *m = &sdp->media[i];
		size_t kept = 0;

		if (m->ice_ufrag == NULL)
			m->ice_ufrag = sdp->ice_ufrag;
		if (m->ice_pwd == NULL)
			m->ice_pwd = sdp->ice_pwd;
		if (m->fingerprint.len == 0)
			m->fingerprint = sdp->fingerprint;
		if (m->setup == ALTO_SDP_SETUP_NONE)
			m->setup = sdp->setup;
		if (m->direction == ALTO_SDP_DIRECTION_NONE)
			m->direction = p->session_direction;
		/* drop payload types that only had fmtp/rtcp-fb and no rtpmap */
		for (size_t c = 0; c < m->n_codecs; c++)
			if (m->codecs[c].name != NULL)
				m->codecs[kept++] = m->codecs[c];
		m->n_codecs = kept;
		for (size_t j = 0; j < i; j++)
			if (m->mid && sdp->media[j].mid && strcmp(m->mid, sdp->media[j].mid) == 0)
				return -EINVAL;
	}
	return 0;
}

int alto_sdp_parse(const char *text, size_t len, struct alto_sdp **result, int *error_line)
{
	struct parser p = { 0 };
	size_t pos = 0, line_number = 0;
	int res = 0;

	if (error_line)
		*error_line = 0;
	if (result == NULL)
		return -EINVAL;
	*result = NULL;
	if (text == NULL || len == 0)
		return -EINVAL;
	if (len > ALTO_SDP_MAX_SIZE)
		return -E2BIG;
	p.sdp = alto_sdp_new();
	if (p.sdp == NULL)
		return -ENOMEM;

	while (pos < len) {
		const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - start) : len - pos;
		char *line;

		pos += line_len + (nl ? 1 : 0);
		line_number++;
		if (line_len > 0 && start[line_len - 1] == '\r')
			line_len--;
		if (line_len == 0)
			continue;	/* tolerate blank lines, and a trailing one */
		for (size_t i = 0; i < line_len; i++) {
			unsigned char c = (unsigned char)start[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				res = -EINVAL;
				goto error;
			}
		}
		if (line_len < 2) {
			res = -EINVAL;
			goto error;
		}
		line = arena_strndup(p.sdp->arena, start, line_len);
		if (line == NULL) {
			res = -ENOMEM;
			goto error;
		}
		if ((res = parse_line(&p, line)) < 0)
			goto error;
	}
	if (!p.seen_version) {
		res = -EINVAL;
		goto error;
	}
	if ((res = finish(&p)) < 0)
		goto error;
	*result = p.sdp;
	return 0;

error:
	if (error_line)
		*error_line = (int)line_number;
	alto_sdp_free(p.sdp);
	return res;
}
