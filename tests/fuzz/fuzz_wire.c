/*
 * fuzz_wire.c -- libFuzzer target over every decoding path of ward-core
 * (server/wire.c): the broker's Request, the operator's AdminEnvelope
 * and the Request inside it, and the capability blocks they carry
 * (ward_block_decode from the verified codec).  Built with ASan and UBSan
 * by 'make' (build/fuzz/fuzz_wire); 'make fuzz' runs it for a minute,
 * tests/suites/core-fuzz-smoke for a few seconds in 'make check'.
 *
 * The first input byte picks the path, so one corpus covers them all.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wire_req req;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_admin a;
	struct ward_block b;
	char detail[256];
	uint32_t i;

	detail[0] = '\0';
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (wire_decode_request(data + 1, size - 1, &req, detail,
					sizeof detail) == 0 && req.has_chain) {
			/* Every block the decoder let through, as the core
			 * would decode it next. */
			for (i = 0; i < req.chain.n; i++)
				(void)!ward_block_decode(&b, req.chain.l[i].raw,
							 req.chain.l[i].raw_len);
		}
		break;
	case 1:
		if (wire_decode_admin(data + 1, size - 1, &a, detail,
				      sizeof detail) == 0)
			(void)!wire_decode_request(a.request, a.request_len,
						   &req, detail, sizeof detail);
		break;
	default:
		(void)!ward_block_decode(&b, data + 1, size - 1);
		break;
	}
	/* The detail is always a terminated string. */
	if (strlen(detail) >= sizeof detail)
		__builtin_trap();
	return 0;
}
