package evidence

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/vigilhq/vigil/event"
)

// A PlatformProfile is what a pack needs to know about one platform: where to
// report, and how the platform itself names the policy each Vigil
// category breaks, so that a notice speaks the platform's language. The
// profiles ship in profiles/*.yaml, written from the platforms' public
// policy pages; policies change names and addresses, so each file says
// when it was written and must be checked before a pack is sent.
type PlatformProfile struct {
	// ID is the profile's name in the api and the manifest: meta, x,
	// youtube, tiktok, telegram.
	ID string `yaml:"id" json:"id"`
	// Platform is the platform's name as people write it.
	Platform string `yaml:"platform" json:"platform"`
	// Platforms are the post platforms (event.Post.Platform) the profile
	// covers: meta covers facebook, instagram and threads.
	Platforms []string `yaml:"platforms" json:"platforms"`
	// Destinations are where a report goes: the in-app report, the
	// platform's legal or DSA form, a trusted-flagger channel.
	Destinations []Destination `yaml:"destinations" json:"destinations"`
	// Policies maps a Vigil category id to the platform policy it breaks.
	Policies map[string]Policy `yaml:"policies" json:"policies"`
	// Lists maps an account list name to the platform policy an account
	// on it breaks; ListDefault serves any other list.
	Lists       map[string]Policy `yaml:"lists" json:"lists"`
	ListDefault Policy            `yaml:"list_default" json:"list_default"`
	// Default serves a category the profile does not know.
	Default Policy `yaml:"default" json:"default"`
}

// Destination is one place a report can be sent.
type Destination struct {
	Name string `yaml:"name" json:"name"`
	URL  string `yaml:"url" json:"url"`
	// Email is set for a destination that takes reports by mail.
	Email string `yaml:"email,omitempty" json:"email,omitempty"`
	Notes string `yaml:"notes" json:"notes"`
}

// Policy is one rule of a platform as the platform names it, with the
// address of its page and a one-sentence summary.
type Policy struct {
	Name    string `yaml:"name" json:"name"`
	URL     string `yaml:"url" json:"url"`
	Summary string `yaml:"summary" json:"summary"`
}

// Policy returns the policy a post flagged for category breaks: the
// profile's entry for it, or its default.
func (p *PlatformProfile) Policy(category string) Policy {
	if pol, ok := p.Policies[category]; ok {
		return pol
	}
	return p.Default
}

// ListPolicy returns the policy an account on the named list breaks.
func (p *PlatformProfile) ListPolicy(list string) Policy {
	if pol, ok := p.Lists[list]; ok {
		return pol
	}
	return p.ListDefault
}

//go:embed profiles/*.yaml
var profileFiles embed.FS

var (
	profilesOnce sync.Once
	profilesByID map[string]*PlatformProfile
	profilesErr  error
)

func loadProfiles() (map[string]*PlatformProfile, error) {
	profilesOnce.Do(func() {
		profilesByID = map[string]*PlatformProfile{}
		names, err := profileFiles.ReadDir("profiles")
		if err != nil {
			profilesErr = err
			return
		}
		for _, n := range names {
			b, err := profileFiles.ReadFile(path.Join("profiles", n.Name()))
			if err != nil {
				profilesErr = err
				return
			}
			p, err := parseProfile(n.Name(), b)
			if err != nil {
				profilesErr = err
				return
			}
			if _, dup := profilesByID[p.ID]; dup {
				profilesErr = fmt.Errorf("profiles/%s: profile %q defined twice", n.Name(), p.ID)
				return
			}
			profilesByID[p.ID] = p
		}
	})
	return profilesByID, profilesErr
}

// parseProfile decodes one profile strictly: an unknown key is an error,
// so that a typo does not silently drop a policy.
func parseProfile(name string, b []byte) (*PlatformProfile, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var p PlatformProfile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("profiles/%s: %w", name, err)
	}
	if p.ID == "" || p.Platform == "" || p.Default.Name == "" || p.ListDefault.Name == "" {
		return nil, fmt.Errorf("profiles/%s: id, platform, default and list_default are required", name)
	}
	return &p, nil
}

// Profile returns the profile with the given id. An unknown id is
// EINVALID, naming the known ones. The profile is shared: do not modify
// it.
func Profile(id string) (*PlatformProfile, error) {
	all, err := loadProfiles()
	if err != nil {
		return nil, err
	}
	if p, ok := all[id]; ok {
		return p, nil
	}
	return nil, event.Errorf(event.EINVALID, "unknown platform profile %q: known profiles are %s", id, strings.Join(profileIDs(all), ", "))
}

// Profiles returns every profile, sorted by id. They are shared: do not
// modify them.
func Profiles() []*PlatformProfile {
	all, err := loadProfiles()
	if err != nil {
		return nil
	}
	out := make([]*PlatformProfile, 0, len(all))
	for _, id := range profileIDs(all) {
		out = append(out, all[id])
	}
	return out
}

func profileIDs(all map[string]*PlatformProfile) []string {
	ids := make([]string, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// profileFor picks the profile for a pack: the one named, or, when none
// is, the one covering the platform of every post.
func profileFor(id string, set *event.EvidenceSet) (*PlatformProfile, error) {
	if id != "" {
		return Profile(id)
	}
	platforms := map[string]bool{}
	for i := range set.Posts {
		platforms[set.Posts[i].Post.Platform] = true
	}
	for _, a := range set.Accounts {
		platforms[a.Platform] = true
	}
	var found *PlatformProfile
	for _, p := range Profiles() {
		covers := len(platforms) > 0
		for pl := range platforms {
			if !contains(p.Platforms, pl) {
				covers = false
			}
		}
		if covers {
			found = p
		}
	}
	if found == nil {
		all, _ := loadProfiles()
		return nil, event.Errorf(event.EINVALID, "no platform profile covers every post of the pack: name one of %s", strings.Join(profileIDs(all), ", "))
	}
	return found, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
