/*
 * cmd/iplocation.c - iplocation: adds the country of an IP address field
 * from the GeoIP country databases Debian packages (streaming).
 *
 *	iplocation [prefix=<string>] [allfields=<bool>] <field>
 *
 * Adds Country (the English name) and, with allfields=true, Continent and
 * Country_iso (ISO 3166 alpha-2): Debian's geoip-database is country-level,
 * so the City, Region, lat and lon of SPL are never added (docs/sml.md).
 * An address the database does not place (private, reserved), a value
 * that is no IPv4 or IPv6 address, or a missing field leaves the event as
 * it is. The databases are geoip.database and geoip.database_v6, opened
 * (mapped) once per run; the IPv6 one on the first IPv6 address.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <GeoIP.h>

#include "sml/parse.h"
#include "sml/stage.h"

/* ---- Parsing ---- */

/*
 * Parses iplocation's parameters and field into c->sc_u.iplocation.
 * Returns 0 with the current token at '|' or the end, or -1 with the error
 * reported.
 */
int
cmd_iplocation_parse(struct sml_parser *p, struct sml_command *c)
{
	struct sml_iplocation *il = &c->sc_u.iplocation;
	unsigned seen = 0;

	if (sml_next(p) == -1)
		return -1;
	while (sml_at_param(p)) {
		if (sml_at_key(p, "prefix")) {
			if (sml_param_once(p, &seen, SML_SEEN_A,
			    "iplocation") == -1 ||
			    (il->il_prefix = sml_param_value(p,
			    "prefix")) == NULL)
				return -1;
		} else if (sml_at_key(p, "allfields")) {
			if (sml_param_once(p, &seen, SML_SEEN_B,
			    "iplocation") == -1 ||
			    sml_param_bool(p, "allfields", &il->il_all) == -1)
				return -1;
		} else
			return sml_param_unknown(p, "iplocation");
		if (sml_next(p) == -1)
			return -1;
	}
	if (!sml_at_name(p, 0))
		return sml_fail_expected(p, "a field name");
	if (sml_name(p, 0, &il->il_field) == -1 || sml_next(p) == -1)
		return -1;
	return sml_end(p);
}

/* Frees what cmd_iplocation_parse() stored in c (not c itself). */
void
cmd_iplocation_clear(struct sml_command *c)
{
	free(c->sc_u.iplocation.il_prefix);
	free(c->sc_u.iplocation.il_field);
}

/* ---- Running ---- */

struct iploc {
	GeoIP *ip_v4;
	GeoIP *ip_v6;		/* NULL until an IPv6 address comes */
	char *ip_names[3];	/* prefix + Country, Continent, Country_iso */
};

/*
 * Opens the country database at path of edition want (GeoIP's
 * GEOIP_COUNTRY_EDITION or _V6), mapped. Returns it (GeoIP_delete), or
 * NULL with the run failed, naming the file and the setting.
 */
static GeoIP *
iploc_open(struct stage *s, const char *path, const char *key, int want)
{
	GeoIP *gi;
	char *info;

	if (path == NULL || *path == '\0' || access(path, R_OK) == -1) {
		run_fail(s->sg_run, "iplocation: no GeoIP country database "
		    "at %s (install the package geoip-database, or set %s)",
		    path != NULL && *path ? path : "''", key);
		return NULL;
	}
	if ((gi = GeoIP_open(path, GEOIP_MMAP_CACHE | GEOIP_SILENCE)) ==
	    NULL) {
		run_fail(s->sg_run, "iplocation: %s (%s) is not a GeoIP "
		    "database", path, key);
		return NULL;
	}
	/* A file of another kind opens as a country database without the
	 * information record every real one ends with. */
	if ((info = GeoIP_database_info(gi)) == NULL ||
	    GeoIP_database_edition(gi) != want) {
		free(info);
		GeoIP_delete(gi);
		run_fail(s->sg_run, "iplocation: %s (%s) is not a GeoIP "
		    "country database for %s", path, key,
		    want == GEOIP_COUNTRY_EDITION ? "IPv4" : "IPv6");
		return NULL;
	}
	free(info);
	return gi;
}

/* Returns the English name of continent code cc ("EU"), or NULL. */
static const char *
iploc_continent(const char *cc)
{
	static const char *const names[][2] = {
		{ "AF", "Africa" }, { "AN", "Antarctica" }, { "AS", "Asia" },
		{ "EU", "Europe" }, { "NA", "North America" },
		{ "OC", "Oceania" }, { "SA", "South America" },
	};

	for (size_t i = 0; cc != NULL && i < sizeof(names) / sizeof(names[0]);
	    i++)
		if (strcmp(cc, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

/*
 * Returns GeoIP's country id of address text a (0: not placed, not an
 * address), or -1 with the run failed.
 */
static int
iploc_id(struct stage *s, struct iploc *st, const char *a)
{
	const struct sml_run_limits *rl = run_limits(s->sg_run);
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, a, &v4) == 1)
		return GeoIP_id_by_ipnum(st->ip_v4, ntohl(v4.s_addr));
	if (inet_pton(AF_INET6, a, &v6) != 1)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED(&v6)) {
		uint32_t n;

		memcpy(&n, v6.s6_addr + 12, 4);
		return GeoIP_id_by_ipnum(st->ip_v4, ntohl(n));
	}
	if (st->ip_v6 == NULL && (st->ip_v6 = iploc_open(s, rl->rl_geoip_v6,
	    "geoip.database_v6", GEOIP_COUNTRY_EDITION_V6)) == NULL)
		return -1;
	return GeoIP_id_by_ipnum_v6(st->ip_v6, v6);
}

static int
iploc_push(struct stage *s, struct event *e)
{
	const struct sml_iplocation *il = &s->sg_cmd->sc_u.iplocation;
	struct iploc *st = s->sg_state;
	const char *vals[3], *code;
	json_t *v = event_get(e, il->il_field);
	char a[INET6_ADDRSTRLEN + 1];
	size_t n;
	int id;

	if (!json_is_string(v) || (n = json_string_length(v)) >= sizeof(a))
		return stage_emit(s, e);
	memcpy(a, json_string_value(v), n + 1);
	if ((id = iploc_id(s, st, a)) == -1)
		return -1;
	code = id > 0 ? GeoIP_code_by_id(id) : NULL;
	/* "--", "A1" (proxies), "A2" (satellite), "AP", "EU": no country. */
	if (code == NULL || (vals[0] = GeoIP_name_by_id(id)) == NULL ||
	    (vals[1] = iploc_continent(GeoIP_continent_by_id(id))) == NULL ||
	    strcmp(code, "AP") == 0 || strcmp(code, "EU") == 0)
		return stage_emit(s, e);
	vals[2] = code;
	for (int i = 0; i < (il->il_all ? 3 : 1); i++)
		if (event_set(e, st->ip_names[i], json_string(vals[i])) == -1)
			return run_fail(s->sg_run, "out of memory");
	return stage_emit(s, e);
}

static void
iploc_free(struct stage *s)
{
	struct iploc *st = s->sg_state;

	if (st == NULL)
		return;
	if (st->ip_v4 != NULL)
		GeoIP_delete(st->ip_v4);
	if (st->ip_v6 != NULL)
		GeoIP_delete(st->ip_v6);
	for (int i = 0; i < 3; i++)
		free(st->ip_names[i]);
	free(st);
}

int
cmd_iplocation_init(struct stage *s, const struct sml_command *c)
{
	static const char *const fields[3] = { "Country", "Continent",
	    "Country_iso" };
	const char *pre = c->sc_u.iplocation.il_prefix;
	struct iploc *st;
	size_t pl = pre != NULL ? strlen(pre) : 0;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return run_fail(s->sg_run, "out of memory");
	s->sg_state = st;
	s->sg_push = iploc_push;
	s->sg_free = iploc_free;
	for (int i = 0; i < 3; i++) {
		size_t fl = strlen(fields[i]);

		if ((st->ip_names[i] = malloc(pl + fl + 1)) == NULL)
			return run_fail(s->sg_run, "out of memory");
		memcpy(st->ip_names[i], pre != NULL ? pre : "", pl);
		memcpy(st->ip_names[i] + pl, fields[i], fl + 1);
	}
	if ((st->ip_v4 = iploc_open(s, run_limits(s->sg_run)->rl_geoip_v4,
	    "geoip.database", GEOIP_COUNTRY_EDITION)) == NULL)
		return -1;
	return 0;
}
