package telegram

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a test server for https://t.me/s/<channel>: it renders preview
// pages in the markup of testdata/channel.html (the structure of the
// real page, written from its class names, not fetched), newest pageSize
// messages oldest first, ?before=<id> giving the pageSize before id.
type fake struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	channels map[string][]fakeMsg // ascending ids
	titles   map[string]string
	pageSize int
	// fail answers the next requests before any page.
	fail []failure
	// bodies replace the page of a path (e.g. an info page).
	bodies map[string]string
	// redirects send a path elsewhere.
	redirects map[string]string
	reqs      []request
}

type fakeMsg struct {
	id   int64
	text string // HTML of the text; "" for a photo-only message
	// wrap, when set, is the whole message's HTML instead of the
	// rendering of id and text.
	wrap string
}

type failure struct {
	status int
	header http.Header
	body   string
}

type request struct {
	path, query string
	header      http.Header
	at          time.Time
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, channels: map[string][]fakeMsg{}, titles: map[string]string{}, pageSize: 20,
		bodies: map[string]string{}, redirects: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// add appends messages ids from..to (inclusive) to ch, each with
// Burmese and English text.
func (f *fake) add(ch string, from, to int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.channels[ch]; !ok {
		f.channels[ch] = []fakeMsg{}
	}
	for id := from; id <= to; id++ {
		f.channels[ch] = append(f.channels[ch], fakeMsg{id: id, text: html.EscapeString(fmt.Sprintf("သတင်းစာ %d — message %d of %s", id, id, ch))})
	}
}

// addMsg appends one message.
func (f *fake) addMsg(ch string, m fakeMsg) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[ch] = append(f.channels[ch], m)
}

// delete removes message id of ch.
func (f *fake) delete(ch string, id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ms := f.channels[ch]
	for i, m := range ms {
		if m.id == id {
			f.channels[ch] = append(ms[:i:i], ms[i+1:]...)
			return
		}
	}
}

func (f *fake) failNext(fs ...failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, fs...)
}

func (f *fake) setBody(path, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if body == "" {
		delete(f.bodies, path)
	} else {
		f.bodies[path] = body
	}
}

func (f *fake) setRedirect(path, to string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if to == "" {
		delete(f.redirects, path)
	} else {
		f.redirects[path] = to
	}
}

func (f *fake) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// pageQueries returns the requests' path?query, in order.
func (f *fake) pageQueries() []string {
	var out []string
	for _, r := range f.requests() {
		s := r.path
		if r.query != "" {
			s += "?" + r.query
		}
		out = append(out, s)
	}
	return out
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, request{path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), at: time.Now()})
	if len(f.fail) > 0 {
		fl := f.fail[0]
		f.fail = f.fail[1:]
		for k, v := range fl.header {
			w.Header()[k] = v
		}
		w.WriteHeader(fl.status)
		fmt.Fprint(w, fl.body)
		return
	}
	if to, ok := f.redirects[r.URL.Path]; ok {
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if b, ok := f.bodies[r.URL.Path]; ok && b != "" {
		fmt.Fprint(w, b)
		return
	}
	ch, ok := strings.CutPrefix(r.URL.Path, "/s/")
	msgs, known := f.channels[ch]
	if !ok || !known {
		// t.me sends an unknown channel to its (info) page.
		http.Redirect(w, r, "/"+ch, http.StatusFound)
		return
	}
	var sel []fakeMsg
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	for _, m := range msgs {
		if before == 0 || m.id < before {
			sel = append(sel, m)
		}
	}
	if len(sel) > f.pageSize {
		sel = sel[len(sel)-f.pageSize:]
	}
	fmt.Fprint(w, renderPage(ch, f.titleOf(ch), sel, len(msgs) > len(sel) && len(sel) > 0))
}

func (f *fake) titleOf(ch string) string {
	if t, ok := f.titles[ch]; ok {
		return t
	}
	return "Example Channel " + ch
}

// renderPage renders a preview page of ch with msgs (oldest first).
func renderPage(ch, title string, msgs []fakeMsg, older bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>%[2]s – Telegram</title>
    <link rel="canonical" href="https://t.me/s/%[1]s"/>
`, ch, html.EscapeString(title))
	if older {
		fmt.Fprintf(&b, "    <link rel=\"prev\" href=\"/s/%s?before=%d\">\n", ch, msgs[0].id)
	}
	fmt.Fprintf(&b, `  </head>
  <body class="widget_frame_base tgme_webpage_body">
    <main class="tgme_main" data-url="https://t.me/s/%[1]s">
      <div class="tgme_container">
        <section class="tgme_right_column">
          <div class="tgme_channel_info">
            <div class="tgme_channel_info_header">
              <div class="tgme_channel_info_header_title"><span dir="auto">%[2]s</span></div>
              <div class="tgme_channel_info_header_username"><a href="https://t.me/%[1]s">@%[1]s</a></div>
            </div>
          </div>
        </section>
        <section class="tgme_channel_history js-message_history">
`, ch, html.EscapeString(title))
	for _, m := range msgs {
		b.WriteString(renderMsg(ch, title, m))
	}
	b.WriteString(`
        </section>
      </div>
    </main>
    <script>var x = "<div class=\"tgme_widget_message_wrap\">";</script>
  </body>
</html>
`)
	return b.String()
}

// msgTime is the creation time of message id in the fake.
func msgTime(id int64) time.Time {
	return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Minute)
}

// renderMsg renders one message's wrap, as testdata/channel.html has it.
func renderMsg(ch, title string, m fakeMsg) string {
	if m.wrap != "" {
		return m.wrap
	}
	body := fmt.Sprintf(`<a class="tgme_widget_message_photo_wrap 501 2" href="https://t.me/%s/%d" style="width:800px;background-image:url('https://cdn.example.org/p/%d.jpg')"><div class="tgme_widget_message_photo" style="padding-top:75%%"></div></a>`, ch, m.id, m.id)
	if m.text != "" {
		body = `<div class="tgme_widget_message_text js-message_text" dir="auto">` + m.text + `</div>`
	}
	return fmt.Sprintf(`<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="%[1]s/%[2]d" data-view="eyJjIjotMX0">
  <div class="tgme_widget_message_bubble">
    <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/%[1]s"><span dir="auto">%[3]s</span></a></div>
    %[4]s
    <div class="tgme_widget_message_footer compact js-message_footer">
      <div class="tgme_widget_message_info short js-message_info">
        <span class="tgme_widget_message_views">%[2]dK</span><span class="copyonly"> views</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/%[1]s/%[2]d"><time datetime="%[5]s" class="time">00:00</time></a></span>
      </div>
    </div>
  </div>
</div></div>`, ch, m.id, html.EscapeString(title), body, msgTime(m.id).Format("2006-01-02T15:04:05-07:00"))
}
