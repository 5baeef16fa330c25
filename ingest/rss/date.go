package rss

import (
	"regexp"
	"strings"
	"time"
)

// Zone abbreviations seen in feeds, with their offsets. Go's time.Parse
// knows an abbreviation only when the local zone uses it, and otherwise
// takes it as UTC: these are replaced by their offsets first.
var zones = map[string]string{
	"UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"AKST": "-0900", "AKDT": "-0800", "HST": "-1000",
	"WET": "+0000", "WEST": "+0100", "CET": "+0100", "CEST": "+0200",
	"EET": "+0200", "EEST": "+0300", "MSK": "+0300",
	"MMT": "+0630", // Myanmar Time
	"ICT": "+0700", "WIB": "+0700", "SGT": "+0800", "MYT": "+0800",
	"PHT": "+0800", "HKT": "+0800", "AWST": "+0800", "KST": "+0900",
	"JST": "+0900", "AEST": "+1000", "AEDT": "+1100", "NZST": "+1200",
	"NZDT": "+1300", "NPT": "+0545", "BDT": "+0600", "PKT": "+0500",
}

var (
	weekdayRE = regexp.MustCompile(`(?i)^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*`)
	offsetRE  = regexp.MustCompile(`[+-]\d\d:?\d\d$`)
	zoneRE    = regexp.MustCompile(`\s+\(?([A-Za-z]{1,5})\)?$`)
	spacesRE  = regexp.MustCompile(`\s+`)
)

// Layouts of RFC 822 dates (RSS) after the weekday is removed and a zone
// abbreviation replaced by its offset, in the forms feeds write them.
var rfc822Layouts = []string{
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -07:00",
	"2 Jan 2006 15:04 -0700",
	"2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04 -0700",
	"2 January 2006 15:04:05 -0700",
	"2 January 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 MST",
	"2 January 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04",
	"2 January 2006 15:04:05",
	"Jan 2 2006 15:04:05 -0700",
	"January 2 2006 15:04:05 -0700",
	"2 Jan 2006",
}

// Layouts of ISO 8601 dates (Atom, dc:date, and RSS feeds that use them).
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 MST",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
}

// parseDate reads a feed date in any of the common forms; the zero time
// when it cannot (or when it is the Unix epoch, which feeds write for "no
// date"). Times without a zone are taken as UTC.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(spacesRE.ReplaceAllString(v, " "))
	if v == "" {
		return time.Time{}
	}
	t, ok := parse(v)
	if !ok || t.Unix() <= 0 {
		return time.Time{}
	}
	return t.UTC()
}

func parse(v string) (time.Time, bool) {
	if len(v) >= 10 && v[4] == '-' {
		for _, l := range isoLayouts {
			if t, err := time.Parse(l, v); err == nil {
				return t, true
			}
		}
		if t, err := time.Parse(time.RFC3339, strings.ToUpper(v)); err == nil {
			return t, true
		}
		return time.Time{}, false
	}
	v = weekdayRE.ReplaceAllString(v, "")
	v = strings.ReplaceAll(v, ",", "")
	if m := zoneRE.FindStringSubmatchIndex(v); m != nil {
		if off, ok := zones[strings.ToUpper(v[m[2]:m[3]])]; ok {
			if offsetRE.MatchString(v[:m[0]]) {
				v = v[:m[0]] // "-0700 (PDT)"
			} else {
				v = v[:m[0]] + " " + off
			}
		}
	}
	for _, l := range rfc822Layouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
