/* Providers: presets, validation, the YAML configuration (libyaml), headers and secrets. */
#include "source/providers.h"

#include "core/err.h"
#include "source/source.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* The Entain brands: the affiliates racing API that all three share, at each brand's host. */
static const struct {
    const char *name, *format, *url;
} presets[] = {
    {"ladbrokes", "entain", "https://api.ladbrokes.com.au"},
    {"neds", "entain", "https://api.neds.com.au"},
    {"tab-nz", "entain", "https://api.tab.co.nz"},
};

const char *odz_provider_preset_names(void)
{
    return "ladbrokes, neds, tab-nz";
}

void odz_provider_defaults(odz_provider *p)
{
    memset(p, 0, sizeof *p);
    p->rate = 1;
    p->timeout_ms = 10000;
}

int odz_provider_preset(const char *name, odz_provider *out)
{
    for (size_t i = 0; name && i < sizeof presets / sizeof *presets; i++)
        if (!strcmp(name, presets[i].name)) {
            odz_provider_defaults(out);
            snprintf(out->name, sizeof out->name, "%s", presets[i].name);
            snprintf(out->format, sizeof out->format, "%s", presets[i].format);
            snprintf(out->base_url, sizeof out->base_url, "%s", presets[i].url);
            return 0;
        }
    return ODZ_ENOTFOUND;
}

/* Printable ASCII or UTF-8, no control characters (a header value must not carry CR/LF). */
static bool clean_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int odz_provider_validate(const odz_provider *p, char *err, size_t errlen)
{
    size_t nl = strnlen(p->name, sizeof p->name);
    if (nl == 0 || nl >= sizeof p->name)
        return odz_fail(err, errlen, ODZ_EINVAL, "a source needs a name of 1 to %zu characters",
                        sizeof p->name - 1);
    for (size_t i = 0; i < nl; i++)
        if (!(islower((unsigned char)p->name[i]) || isdigit((unsigned char)p->name[i]) ||
              p->name[i] == '-'))
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "source name '%s': only a-z, 0-9 and '-' (it names the provider)",
                            p->name);
    if (!odz_source_find(p->format))
        return odz_fail(err, errlen, ODZ_EINVAL, "source %s: unknown format '%s' (entain or oddscomau)",
                        p->name, p->format);
    size_t ul = strnlen(p->base_url, sizeof p->base_url);
    if (ul >= sizeof p->base_url ||
        (strncmp(p->base_url, "http://", 7) && strncmp(p->base_url, "https://", 8)) ||
        ul < 9 || p->base_url[ul - 1] == '/' || !clean_text(p->base_url) ||
        strchr(p->base_url, ' '))
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "source %s: url must be http:// or https://HOST[/PATH] without a trailing "
                        "slash",
                        p->name);
    if (!(p->rate >= 0.01 && p->rate <= 1000))
        return odz_fail(err, errlen, ODZ_EINVAL, "source %s: rate must be 0.01 to 1000 a second",
                        p->name);
    if (p->timeout_ms < 100 || p->timeout_ms > 120000)
        return odz_fail(err, errlen, ODZ_EINVAL, "source %s: timeout_ms must be 100 to 120000",
                        p->name);
    const char *texts[] = {p->from, p->partner, p->partner_id, p->secret_env, p->secret_file};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (!clean_text(texts[i]))
            return odz_fail(err, errlen, ODZ_EINVAL, "source %s: a value holds a control character",
                            p->name);
    if (*p->from && (!strchr(p->from, '@') || strchr(p->from, ' ')))
        return odz_fail(err, errlen, ODZ_EINVAL, "source %s: from must be an e-mail address",
                        p->name);
    for (const char *c = p->secret_env; *c; c++)
        if (!(isupper((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_'))
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "source %s: secret_env must name a variable (A-Z, 0-9, _)", p->name);
    size_t hl = strnlen(p->secret_header, sizeof p->secret_header);
    for (size_t i = 0; i < hl; i++)
        if (!(isalnum((unsigned char)p->secret_header[i]) || p->secret_header[i] == '-'))
            return odz_fail(err, errlen, ODZ_EINVAL,
                            "source %s: secret_header must be a header name (A-Z, a-z, 0-9, -)",
                            p->name);
    if (p->shared_owner && strcmp(p->format, "entain") != 0)
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "source %s: shared_owner is for the entain format (its brands share ids)",
                        p->name);
    if (hl >= sizeof p->secret_header || (hl && !*p->secret_env && !*p->secret_file))
        return odz_fail(err, errlen, ODZ_EINVAL,
                        "source %s: secret_header needs secret_env or secret_file", p->name);
    return 0;
}

/* ---- YAML ---- */

typedef struct {
    char *err;
    size_t errlen;
} ctx;

static int bad(ctx *c, const yaml_node_t *n, const char *what)
{
    return odz_fail(c->err, c->errlen, ODZ_EINVAL, "line %zu: %s",
                    n ? (size_t)n->start_mark.line + 1 : (size_t)0, what);
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int copy(ctx *c, const yaml_node_t *v, char *dst, size_t n, const char *key)
{
    const char *s = scalar(v);
    char what[96];
    if (!s) {
        snprintf(what, sizeof what, "%s must be a single value", key);
        return bad(c, v, what);
    }
    if (strlen(s) >= n) {
        snprintf(what, sizeof what, "%s is longer than %zu characters", key, n - 1);
        return bad(c, v, what);
    }
    snprintf(dst, n, "%s", s);
    return 0;
}

static int number(ctx *c, const yaml_node_t *v, double lo, double hi, double *out, const char *key)
{
    const char *s = scalar(v);
    char *end = NULL;
    errno = 0;
    double d = s ? strtod(s, &end) : 0;
    char what[96];
    if (!s || !*s || *end || errno || !(d >= lo && d <= hi)) {
        snprintf(what, sizeof what, "%s must be a number from %g to %g", key, lo, hi);
        return bad(c, v, what);
    }
    *out = d;
    return 0;
}

static int boolean(ctx *c, const yaml_node_t *v, bool *out, const char *key)
{
    const char *s = scalar(v);
    char what[96];
    if (s && (!strcmp(s, "true") || !strcmp(s, "false"))) {
        *out = !strcmp(s, "true");
        return 0;
    }
    snprintf(what, sizeof what, "%s must be true or false", key);
    return bad(c, v, what);
}

/* The keys that are text, each with its field of odz_provider. */
#define TEXT_KEY(key, field)                                                                       \
    {key, offsetof(odz_provider, field), sizeof(((odz_provider *)0)->field)}
static const struct {
    const char *key;
    size_t off, size;
} text_keys[] = {
    TEXT_KEY("format", format),         TEXT_KEY("url", base_url),
    TEXT_KEY("from", from),             TEXT_KEY("partner", partner),
    TEXT_KEY("partner_id", partner_id), TEXT_KEY("secret_env", secret_env),
    TEXT_KEY("secret_file", secret_file), TEXT_KEY("secret_header", secret_header),
};

/* The index of a text key in text_keys, or -1. */
static int text_key(const char *key)
{
    for (size_t i = 0; i < sizeof text_keys / sizeof *text_keys; i++)
        if (!strcmp(key, text_keys[i].key))
            return (int)i;
    return -1;
}

static int one_source(ctx *c, yaml_document_t *doc, const yaml_node_t *m, odz_provider *p)
{
    if (m->type != YAML_MAPPING_NODE)
        return bad(c, m, "each source must be a mapping (name: ..., format: ...)");
    const yaml_node_t *name = NULL;
    for (yaml_node_pair_t *kv = m->data.mapping.pairs.start; kv < m->data.mapping.pairs.top; kv++)
        if (scalar(yaml_document_get_node(doc, kv->key)) &&
            !strcmp(scalar(yaml_document_get_node(doc, kv->key)), "name"))
            name = yaml_document_get_node(doc, kv->value);
    if (!scalar(name))
        return bad(c, m, "a source needs a name");
    if (odz_provider_preset(scalar(name), p) != 0) {
        odz_provider_defaults(p);
        if (copy(c, name, p->name, sizeof p->name, "name"))
            return ODZ_EINVAL;
    }
    for (yaml_node_pair_t *kv = m->data.mapping.pairs.start; kv < m->data.mapping.pairs.top;
         kv++) {
        const yaml_node_t *k = yaml_document_get_node(doc, kv->key),
                          *v = yaml_document_get_node(doc, kv->value);
        const char *key = scalar(k);
        double d;
        int rc = 0, t;
        if (!key)
            return bad(c, k, "keys must be plain words");
        if (!strcmp(key, "name"))
            continue;
        else if ((t = text_key(key)) >= 0)
            rc = copy(c, v, (char *)p + text_keys[t].off, text_keys[t].size, key);
        else if (!strcmp(key, "shared_owner"))
            rc = boolean(c, v, &p->shared_owner, key);
        else if (!strcmp(key, "rate")) {
            if (!(rc = number(c, v, 0.01, 1000, &d, key)))
                p->rate = d;
        } else if (!strcmp(key, "timeout_ms")) {
            if (!(rc = number(c, v, 100, 120000, &d, key)))
                p->timeout_ms = (int)d;
        } else if (!strcmp(key, "secret") || !strcmp(key, "password") || !strcmp(key, "token"))
            return bad(c, k, "secrets are not kept in the file: name them with secret_env or "
                             "secret_file");
        else {
            char what[96];
            snprintf(what, sizeof what, "unknown key '%.40s'", key);
            return bad(c, k, what);
        }
        if (rc)
            return rc;
    }
    char why[ODZ_ERRLEN];
    if (odz_provider_validate(p, why, sizeof why))
        return bad(c, m, why);
    return 0;
}

int odz_providers_parse(const char *yaml, size_t len, odz_provider *out, size_t max, size_t *n,
                        char *err, size_t errlen)
{
    *n = 0;
    if (len > ODZ_PROVIDER_FILE_MAX)
        return odz_fail(err, errlen, ODZ_EINVAL, "configuration over %d bytes",
                        ODZ_PROVIDER_FILE_MAX);
    ctx c = {err, errlen};
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = odz_fail(err, errlen, ODZ_EINVAL, "line %zu: %s",
                          (size_t)parser.problem_mark.line + 1,
                          parser.problem ? parser.problem : "not YAML");
        yaml_parser_delete(&parser);
        return rc;
    }
    int rc = 0;
    size_t count = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc), *list = NULL;
    if (!root)
        rc = odz_fail(err, errlen, ODZ_EINVAL, "the configuration is empty: it needs a 'sources' "
                                               "list");
    else if (root->type != YAML_MAPPING_NODE)
        rc = bad(&c, root, "the file must be a mapping with a 'sources' list");
    for (yaml_node_pair_t *kv = rc ? NULL : root->data.mapping.pairs.start;
         !rc && kv < root->data.mapping.pairs.top; kv++) {
        const char *key = scalar(yaml_document_get_node(&doc, kv->key));
        if (key && !strcmp(key, "sources"))
            list = yaml_document_get_node(&doc, kv->value);
        else
            rc = bad(&c, yaml_document_get_node(&doc, kv->key), "only 'sources' is known here");
    }
    if (!rc && (!list || list->type != YAML_SEQUENCE_NODE))
        rc = bad(&c, list ? list : root, "'sources' must be a list");
    for (yaml_node_item_t *it = rc ? NULL : list->data.sequence.items.start;
         !rc && it < list->data.sequence.items.top; it++) {
        if (count >= max) {
            rc = odz_fail(err, errlen, ODZ_EINVAL, "more than %zu sources", max);
            break;
        }
        rc = one_source(&c, &doc, yaml_document_get_node(&doc, *it), &out[count]);
        for (size_t j = 0; !rc && j < count; j++)
            if (!strcmp(out[j].name, out[count].name))
                rc = odz_fail(err, errlen, ODZ_EINVAL, "source '%s' is given twice", out[j].name);
            else if (out[j].shared_owner && out[count].shared_owner)
                rc = odz_fail(err, errlen, ODZ_EINVAL,
                              "shared_owner on '%s' and '%s': one source at most", out[j].name,
                              out[count].name);
        if (!rc)
            count++;
    }
    if (!rc && count == 0)
        rc = odz_fail(err, errlen, ODZ_EINVAL, "no sources in the configuration");
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc)
        memset(out, 0, count * sizeof *out);
    else
        *n = count;
    return rc;
}

/* Read at most ODZ_PROVIDER_FILE_MAX (+1 to notice a larger file) bytes of `path`. */
static int read_small(const char *path, char *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return odz_fail(err, errlen, ODZ_ENOTFOUND, "cannot open %s: %s", path, strerror(errno));
    *len = fread(buf, 1, cap, f);
    int e = ferror(f);
    fclose(f);
    if (e)
        return odz_fail(err, errlen, ODZ_EIO, "cannot read %s", path);
    return 0;
}

int odz_providers_load(const char *path, odz_provider *out, size_t max, size_t *n, char *err,
                       size_t errlen)
{
    *n = 0;
    char *buf = malloc(ODZ_PROVIDER_FILE_MAX + 1);
    if (!buf)
        return odz_fail(err, errlen, ODZ_ENOMEM, "out of memory");
    size_t len = 0;
    int rc = read_small(path, buf, ODZ_PROVIDER_FILE_MAX + 1, &len, err, errlen);
    if (!rc) {
        char inner[ODZ_ERRLEN];
        rc = odz_providers_parse(buf, len, out, max, n, inner, sizeof inner);
        if (rc)
            odz_fail(err, errlen, rc, "%s: %s", path, inner);
    }
    free(buf);
    return rc;
}

int odz_provider_headers(const odz_provider *p, char out[][ODZ_PROVIDER_TEXT_MAX + 16],
                         size_t max, size_t *n)
{
    *n = 0;
    const struct {
        const char *name, *value;
    } h[] = {{"From", p->from}, {"X-Partner", p->partner}, {"X-Partner-ID", p->partner_id}};
    for (size_t i = 0; i < sizeof h / sizeof *h; i++) {
        if (!*h[i].value)
            continue;
        if (*n >= max || !clean_text(h[i].value))
            return ODZ_EINVAL;
        snprintf(out[(*n)++], ODZ_PROVIDER_TEXT_MAX + 16, "%s: %s", h[i].name, h[i].value);
    }
    return 0;
}

int odz_provider_secret_line(const odz_provider *p, const char *secret, char *out, size_t n)
{
    int w = *p->secret_header ? snprintf(out, n, "%s: %s", p->secret_header, secret)
                              : snprintf(out, n, "Authorization: Bearer %s", secret);
    return w < 0 || (size_t)w >= n ? ODZ_EINVAL : 0;
}

int odz_provider_secret(const odz_provider *p, char *out, size_t n, char *err, size_t errlen)
{
    if (n)
        *out = '\0';
    const char *v = NULL;
    char buf[ODZ_PROVIDER_SECRET_MAX + 2];
    size_t len = 0;
    if (*p->secret_env) {
        v = getenv(p->secret_env);
        if (!v)
            return odz_fail(err, errlen, ODZ_ENOTFOUND, "source %s: %s is not set", p->name,
                            p->secret_env);
        len = strlen(v);
    } else if (*p->secret_file) {
        int rc = read_small(p->secret_file, buf, sizeof buf - 1, &len, err, errlen);
        if (rc)
            return rc;
        buf[len] = '\0';
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        v = buf;
    } else {
        return 0;
    }
    int rc = 0;
    if (len == 0 || len > ODZ_PROVIDER_SECRET_MAX || len >= n || strlen(v) != len ||
        !clean_text(v))
        rc = odz_fail(err, errlen, ODZ_EINVAL,
                      "source %s: the secret is empty, longer than %d bytes or not one line of "
                      "text",
                      p->name, ODZ_PROVIDER_SECRET_MAX);
    else
        memcpy(out, v, len + 1);
    memset(buf, 0, sizeof buf); /* no copy of a secret left on the stack */
    return rc;
}
