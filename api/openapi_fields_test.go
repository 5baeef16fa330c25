package api_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

// fillAll sets every exported field of the value v points to, all the
// way down: strings "s", numbers 1, true, a time, one element in each
// slice and map, a value behind each pointer. A response built from such
// values has every optional field present, so that the response check
// sees each field the API can send and fails on one the document lacks.
func fillAll(v any) {
	fillValue(reflect.ValueOf(v).Elem(), 0)
}

var (
	timeType  = reflect.TypeFor[time.Time]()
	fillTime  = time.Date(2026, 11, 1, 14, 30, 0, 0, yangon)
	bytesType = reflect.TypeFor[[]byte]()
)

func fillValue(v reflect.Value, depth int) {
	if depth > 6 || !v.CanSet() {
		return
	}
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(fillTime))
		return
	case v.Type() == bytesType:
		v.SetBytes([]byte(`{"raw":true}`))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("s")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillValue(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fillValue(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillValue(k, depth+1)
		fillValue(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillValue(v.Field(i), depth+1)
			}
		}
	}
}

// TestEveryFieldDocumented serves accounts, flags, a post and tokens
// with every field set, so that the fixture checks each field the API
// can send against openapi.yaml: a field added to an event type and sent
// by a route without being documented fails here.
func TestEveryFieldDocumented(t *testing.T) {
	var account event.Account
	fillAll(&account)
	var flag event.Flag
	fillAll(&flag)
	flag.Status = event.StatusClaimed
	if flag.Decision != nil {
		flag.Decision.Decision = event.DecisionConfirm
	}
	var post event.StoredPost
	fillAll(&post)
	post.Platform, post.ID = "x", "1"
	post.Verdict.LexiconHash = "sha256:" + event.SHA256Hex([]byte("lexicons"))

	tokens := newMemTokens()
	var tok event.Token
	fillAll(&tok)
	tok.ID, tok.Role = 1, event.RoleMonitor
	tokens.tokens = append(tokens.tokens, tok)

	f := newFixture(t, func(d *api.Deps) {
		d.Tokens = api.NewStoreTokens(tokens, adminToken)
		d.TokenAdmin = tokens
	})
	f.store.edit(func(m *memStore) {
		m.accounts = []event.Account{account}
		m.flags = []event.Flag{flag}
		m.posts = map[string]*event.StoredPost{"x/1": &post}
	})
	for _, path := range []string{"/api/v1/accounts", "/api/v1/flags", "/api/v1/posts/x/1", "/api/v1/tokens"} {
		f.getJSON(t, path, http.StatusOK, nil)
	}
}
