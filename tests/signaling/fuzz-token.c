/* libFuzzer target: access token decoding (base64url, the JSON reader, claim
 * extraction) and verification, as done for user-given and refreshed tokens. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alto-token.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct alto_token_claims c;
	struct alto_json *v;

	memcpy(text, data, size);
	text[size] = '\0';
	if (alto_token_decode(text, &c) == 0)
		alto_token_claims_clear(&c);
	if (alto_token_verify(text, "secret", 1700000000, &c) == 0)
		alto_token_claims_clear(&c);
	v = alto_json_parse(text, size);
	alto_json_free(v);
	free(text);
	return 0;
}
