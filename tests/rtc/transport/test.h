/* Minimal assertions for the rtc/transport unit tests: a failed CHECK prints where and exits
 * non-zero, so meson reports the test as failed. */
#ifndef ALTO_TESTS_RTC_TRANSPORT_TEST_H
#define ALTO_TESTS_RTC_TRANSPORT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: %s: CHECK failed: %s\n", __FILE__, __LINE__, __func__, #cond); \
		exit(1); \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { \
		fprintf(stderr, "%s:%d: %s: CHECK failed: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, __func__, #a, #b, _a, _b); \
		exit(1); \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *_a = (a), *_b = (b); \
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) { \
		fprintf(stderr, "%s:%d: %s: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", \
				__FILE__, __LINE__, __func__, #a, #b, _a ? _a : "(null)", \
				_b ? _b : "(null)"); \
		exit(1); \
	} \
} while (0)

#define RUN(test) do { fprintf(stderr, "# %s\n", #test); test(); } while (0)

/* Read a whole file (NUL-terminated); exits on error. free() the result. */
static inline char *test_read_file(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	long size;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	buf[size] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)size;
	return buf;
}

#endif
