/* Ids of the simulated world: UUIDs and integers that encode where a thing lives, so a lookup
 * regenerates one meeting instead of searching, and a forged or foreign id is rejected. */
#include "feed/world.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "http/server.h"

/*
 * UUID layout. A 64-bit plain word holds the identity:
 *   kind:3 | region:3 | index:5 | lday:20 | race:5 | runner:6 | extra:8 | zero:14
 * It is enciphered with a 4-round Feistel network keyed by the seed (so ids look random and
 * differ between seeds), giving C. The UUID's 122 free bits carry C (64 bits) and 58 bits of a
 * keyed hash of C, which rejects ids that are not ours. Version nibble 4 (5 for dividends, as
 * the real source prints them), RFC 4122 variant.
 */

static uint32_t feistel_f(uint32_t x, uint64_t key)
{
    return (uint32_t)odz_fw_hash(x, key);
}

static uint64_t round_key(const odz_feed *f, int i)
{
    return odz_fw_hash(f->seed, 0x75756964ULL + (uint64_t)i);
}

static uint64_t encipher(const odz_feed *f, uint64_t p)
{
    uint32_t l = (uint32_t)(p >> 32), r = (uint32_t)p;
    for (int i = 0; i < 4; i++) {
        uint32_t t = l ^ feistel_f(r, round_key(f, i));
        l = r;
        r = t;
    }
    return ((uint64_t)l << 32) | r;
}

static uint64_t decipher(const odz_feed *f, uint64_t c)
{
    uint32_t l = (uint32_t)(c >> 32), r = (uint32_t)c;
    for (int i = 3; i >= 0; i--) {
        uint32_t t = r ^ feistel_f(l, round_key(f, i));
        r = l;
        l = t;
    }
    return ((uint64_t)l << 32) | r;
}

#define MASK58 ((1ULL << 58) - 1)

static uint64_t mac(const odz_feed *f, uint64_t c)
{
    return odz_fw_hash(c, f->seed ^ 0x6d61632d75756964ULL) & MASK58;
}

void odz_fw_uuid(const odz_feed *f, const odz_fw_key *k, char out[37])
{
    uint64_t p = ((uint64_t)(k->kind & 7) << 61) | ((uint64_t)(k->region & 7) << 58) |
                 ((uint64_t)(k->index & 31) << 53) |
                 ((uint64_t)((uint32_t)k->lday & 0xFFFFF) << 33) |
                 ((uint64_t)(k->race & 31) << 28) | ((uint64_t)(k->runner & 63) << 22) |
                 ((uint64_t)(k->extra & 255) << 14);
    uint64_t c = encipher(f, p);
    uint64_t m = mac(f, c);
    uint64_t hi_data = c >> 4;                /* 60 bits */
    uint64_t lo_data = ((c & 0xF) << 58) | m; /* 62 bits */
    unsigned ver = k->kind == ODZ_FW_ID_DIVIDEND ? 5 : 4;
    uint64_t hi = ((hi_data >> 12) << 16) | ((uint64_t)ver << 12) | (hi_data & 0xFFF);
    uint64_t lo = (2ULL << 62) | lo_data;
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(hi >> 32),
             (unsigned)((hi >> 16) & 0xFFFF), (unsigned)(hi & 0xFFFF), (unsigned)(lo >> 48),
             (unsigned long long)(lo & 0xFFFFFFFFFFFFULL));
}

int odz_fw_uuid_parse(const odz_feed *f, const char *s, odz_fw_key *k)
{
    if (!s || strlen(s) != 36)
        return ODZ_ENOTFOUND;
    uint64_t hi = 0, lo = 0;
    int nib = 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return ODZ_ENOTFOUND;
            continue;
        }
        int v = odz_http_hexval((unsigned char)s[i]);
        if (v < 0)
            return ODZ_ENOTFOUND;
        if (nib < 16)
            hi = (hi << 4) | (uint64_t)v;
        else
            lo = (lo << 4) | (uint64_t)v;
        nib++;
    }
    unsigned ver = (unsigned)((hi >> 12) & 0xF);
    if ((ver != 4 && ver != 5) || (lo >> 62) != 2)
        return ODZ_ENOTFOUND;
    uint64_t hi_data = ((hi >> 16) << 12) | (hi & 0xFFF);
    uint64_t lo_data = lo & ((1ULL << 62) - 1);
    uint64_t c = (hi_data << 4) | (lo_data >> 58);
    if ((lo_data & MASK58) != mac(f, c))
        return ODZ_ENOTFOUND;
    uint64_t p = decipher(f, c);
    if (p & 0x3FFF)
        return ODZ_ENOTFOUND;
    memset(k, 0, sizeof *k);
    k->kind = (int)(p >> 61);
    k->region = (int)((p >> 58) & 7);
    k->index = (int)((p >> 53) & 31);
    k->lday = (int32_t)((p >> 33) & 0xFFFFF);
    k->race = (int)((p >> 28) & 31);
    k->runner = (int)((p >> 22) & 63);
    k->extra = (int)((p >> 14) & 255);
    if (k->region >= ODZ_FW_REGIONS || (ver == 5) != (k->kind == ODZ_FW_ID_DIVIDEND))
        return ODZ_ENOTFOUND;
    return 0;
}

/*
 * Odds-comparison event ids are integers like the real ones (737601): an offset from the seed
 * plus a packed (local day, region, meeting index, race number), so they decode directly.
 */
#define EID_DAY0 16000 /* 2013-10-23: no world before it */

static int64_t eid_base(const odz_feed *f)
{
    return 100000 + (int64_t)(odz_fw_hash(f->seed, 0x65766964ULL) % 400000);
}

int64_t odz_fw_event_id(const odz_feed *f, const odz_fw_meeting *m, int race_number)
{
    int64_t x = ((int64_t)(m->lday - EID_DAY0) * ODZ_FW_REGIONS + m->region) * 32 + m->index;
    return eid_base(f) + x * 16 + race_number;
}

int odz_fw_event_id_parse(const odz_feed *f, int64_t id, odz_fw_key *k)
{
    int64_t x = id - eid_base(f);
    if (x < 0 || x > (int64_t)1 << 40)
        return ODZ_ENOTFOUND;
    memset(k, 0, sizeof *k);
    k->kind = ODZ_FW_ID_RACE;
    k->race = (int)(x % 16);
    x /= 16;
    k->index = (int)(x % 32);
    x /= 32;
    k->region = (int)(x % ODZ_FW_REGIONS);
    x /= ODZ_FW_REGIONS;
    k->lday = (int32_t)(x + EID_DAY0);
    if (k->race < 1 || k->race > ODZ_FW_MAX_RACES)
        return ODZ_ENOTFOUND;
    return 0;
}
