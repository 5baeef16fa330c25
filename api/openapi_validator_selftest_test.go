package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// validatorDoc is a small document that uses every schema feature the
// validator checks, for testing the validator itself.
const validatorDoc = `
openapi: 3.0.3
paths:
  /things/{id}:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Thing"
        "204":
          description: nothing
        "429":
          $ref: "#/components/responses/Limited"
  /things/special:
    get:
      responses:
        "200":
          description: the literal path wins over the template
          content:
            text/plain:
              schema:
                type: string
  /open:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                additionalProperties:
                  type: integer
        default:
          $ref: "#/components/responses/Limited"
  /closed:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                additionalProperties: false
                properties:
                  a:
                    type: string
  /combined:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/Base"
                  - type: object
                    required: [extra]
                    properties:
                      extra:
                        type: boolean
components:
  responses:
    Limited:
      description: limited
      headers:
        Retry-After:
          required: true
          schema:
            type: integer
            minimum: 1
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
  schemas:
    Error:
      type: object
      required: [error]
      properties:
        error:
          type: object
          required: [code]
          properties:
            code:
              type: string
              enum: [a, b]
    Base:
      type: object
      required: [id]
      properties:
        id:
          type: integer
          format: int64
    Thing:
      type: object
      required: [id, when, tags, state]
      properties:
        id:
          type: integer
          format: int32
        when:
          type: string
          format: date-time
        maybe:
          type: string
          nullable: true
        tags:
          type: array
          items:
            type: string
            maxLength: 3
        state:
          type: string
          enum: [on, off]
        raw:
          type: string
          format: byte
        score:
          type: number
          minimum: 0
        code:
          type: string
          pattern: "^[a-z]+$"
        child:
          $ref: "#/components/schemas/Thing"
`

// TestValidator checks the response validator on a document of its own:
// it accepts what matches and names what does not.
func TestValidator(t *testing.T) {
	d, err := parseOpenAPI([]byte(validatorDoc))
	if err != nil {
		t.Fatal(err)
	}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	good := `{"id":7,"when":"2026-11-01T08:00:00Z","tags":["a"],"state":"on","maybe":null,"raw":"aGk=","score":0.5,` +
		`"code":"abc","child":{"id":8,"when":"2026-11-01T14:30:00.5Z","tags":[],"state":"off"}}`
	tests := []struct {
		name    string
		path    string
		status  int
		header  http.Header
		body    string
		wantErr string // "" for valid
	}{
		{"valid", "/things/1", 200, jsonHeader, good, ""},
		{"valid with parameters in the Content-Type", "/things/1", 200,
			http.Header{"Content-Type": {"application/json; charset=utf-8"}}, good, ""},
		{"undocumented status", "/things/1", 500, jsonHeader, `{}`, "status 500 is not documented"},
		{"wrong content type", "/things/1", 200, http.Header{"Content-Type": {"text/plain"}}, good, `Content-Type "text/plain"`},
		{"not JSON", "/things/1", 200, jsonHeader, `{"id":`, "not JSON"},
		{"missing required", "/things/1", 200, jsonHeader, `{"id":1,"when":"2026-11-01T08:00:00Z","tags":[]}`, `required property "state"`},
		{"wrong type", "/things/1", 200, jsonHeader, strings.Replace(good, `"id":7`, `"id":"7"`, 1), "$.id: a string"},
		{"not an integer", "/things/1", 200, jsonHeader, strings.Replace(good, `"id":7`, `"id":7.5`, 1), "not an integer"},
		{"int32 overflow", "/things/1", 200, jsonHeader, strings.Replace(good, `"id":7`, `"id":4294967296`, 1), "out of the integer's range"},
		{"bad date-time", "/things/1", 200, jsonHeader, strings.Replace(good, `"2026-11-01T08:00:00Z"`, `"2026-11-01 08:00"`, 1), "not an RFC 3339 date-time"},
		{"date-time not in UTC", "/things/1", 200, jsonHeader, strings.Replace(good, `"2026-11-01T08:00:00Z"`, `"2026-11-01T14:30:00+06:30"`, 1), "not in UTC"},
		{"null not nullable", "/things/1", 200, jsonHeader, strings.Replace(good, `"tags":["a"]`, `"tags":null`, 1), "$.tags: null"},
		{"enum", "/things/1", 200, jsonHeader, strings.Replace(good, `"state":"on"`, `"state":"dim"`, 1), `"dim" is not one of the enum`},
		{"array item", "/things/1", 200, jsonHeader, strings.Replace(good, `"tags":["a"]`, `"tags":["a",1]`, 1), "$.tags[1]: a number"},
		{"maxLength", "/things/1", 200, jsonHeader, strings.Replace(good, `"tags":["a"]`, `"tags":["abcd"]`, 1), "longer than 3"},
		{"byte", "/things/1", 200, jsonHeader, strings.Replace(good, `"aGk="`, `"!!"`, 1), "not base64"},
		{"minimum", "/things/1", 200, jsonHeader, strings.Replace(good, `"score":0.5`, `"score":-1`, 1), "below the minimum"},
		{"pattern", "/things/1", 200, jsonHeader, strings.Replace(good, `"code":"abc"`, `"code":"ABC"`, 1), "does not match the pattern"},
		{"nested $ref", "/things/1", 200, jsonHeader, strings.Replace(good, `"state":"off"`, `"state":1`, 1), "$.child.state"},
		{"undocumented property", "/things/1", 200, jsonHeader, strings.Replace(good, `"id":7`, `"id":7,"secret":1`, 1), `property "secret" is not documented`},
		{"no content", "/things/1", 204, http.Header{}, "", ""},
		{"a body where none is documented", "/things/1", 204, http.Header{}, "x", "a body"},
		{"response $ref with a required header", "/things/1", 429,
			http.Header{"Content-Type": {"application/json"}, "Retry-After": {"3"}}, `{"error":{"code":"a"}}`, ""},
		{"required header missing", "/things/1", 429, jsonHeader, `{"error":{"code":"a"}}`, "required header Retry-After"},
		{"header not of its type", "/things/1", 429,
			http.Header{"Content-Type": {"application/json"}, "Retry-After": {"0"}}, `{"error":{"code":"a"}}`, "below the minimum"},
		{"literal path wins", "/things/special", 200, http.Header{"Content-Type": {"text/plain"}}, "hi", ""},
		{"additionalProperties schema", "/open", 200, jsonHeader, `{"x":1,"y":2}`, ""},
		{"additionalProperties schema violated", "/open", 200, jsonHeader, `{"x":"1"}`, "$.x: a string"},
		{"default response", "/open", 503, http.Header{"Content-Type": {"application/json"}, "Retry-After": {"1"}}, `{"error":{"code":"c"}}`, `"c" is not one of the enum`},
		{"additionalProperties false", "/closed", 200, jsonHeader, `{"a":"x","b":1}`, `"b" is not allowed`},
		{"allOf", "/combined", 200, jsonHeader, `{"id":1,"extra":true}`, ""},
		{"allOf branch", "/combined", 200, jsonHeader, `{"id":"1","extra":true}`, "$.id: a string"},
		{"allOf undocumented property", "/combined", 200, jsonHeader, `{"id":1,"extra":true,"more":1}`, `"more" is not documented`},
		{"API path outside the document", "/api/v1/nothing", 404, jsonHeader, `{"error":{"code":"a"}}`, ""},
		{"API path outside the document succeeding", "/api/v1/nothing", 200, jsonHeader, `{}`, "answered with success"},
		{"router 404", "/nothing", 404, http.Header{"Content-Type": {"text/plain"}}, "404 page not found", ""},
		{"path outside the document answering 200", "/nothing", 200, http.Header{}, "", "other than 404 or 405"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.checkResponse("GET", tt.path, tt.status, tt.header, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("valid response refused: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("invalid response accepted, want an error with %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %v, want one with %q", err, tt.wantErr)
			}
		})
	}
	if err := d.checkResponse("POST", "/things/1", 405, http.Header{}, nil); err != nil {
		t.Errorf("405 for an undocumented method of a documented path: %v", err)
	}
	if err := d.checkResponse("POST", "/things/1", 200, http.Header{}, nil); err == nil {
		t.Error("200 for an undocumented method of a documented path accepted")
	}
}

// TestValidatorOnTheDocument: the check against openapi.yaml itself
// refuses responses that differ from it in the ways a handler could.
func TestValidatorOnTheDocument(t *testing.T) {
	d := loadOpenAPI(t)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	flag := `{"id":5,"platform":"x","post_id":"p5","author_id":"44","score":3,"categories":[],"matches":[],` +
		`"lexicon":"l@1","pipeline":"test","status":"pending","created_at":"2026-11-01T08:05:00Z"}`
	tests := []struct {
		name, method, path string
		status             int
		header             http.Header
		body, wantErr      string
	}{
		{"a flags page", "GET", "/api/v1/flags", 200, jsonHeader, `{"flags":[` + flag + `],"next":""}`, ""},
		{"next missing", "GET", "/api/v1/flags", 200, jsonHeader, `{"flags":[]}`, `required property "next"`},
		{"flags null", "GET", "/api/v1/flags", 200, jsonHeader, `{"flags":null,"next":""}`, "$.flags: null"},
		{"an unknown status", "GET", "/api/v1/flags", 200, jsonHeader,
			`{"flags":[` + strings.Replace(flag, "pending", "open", 1) + `],"next":""}`, "$.flags[0].status"},
		{"an undocumented field", "GET", "/api/v1/accounts", 200, jsonHeader, `{"accounts":[],"total":0}`, `"total" is not documented`},
		{"an error code outside the enum", "GET", "/api/v1/posts/x/1", 404, jsonHeader,
			`{"error":{"code":"missing","message":"no"}}`, "$.error.code"},
		{"a 429 without Retry-After", "GET", "/api/v1/accounts", 429, jsonHeader,
			`{"error":{"code":"rate_limited","message":"slow down"}}`, "Retry-After"},
		{"a 429", "GET", "/api/v1/accounts", 429, http.Header{"Content-Type": {"application/json"}, "Retry-After": {"12"}},
			`{"error":{"code":"rate_limited","message":"slow down"}}`, ""},
		{"a 401 without WWW-Authenticate", "GET", "/api/v1/accounts", 401, jsonHeader,
			`{"error":{"code":"unauthorized","message":"no"}}`, "WWW-Authenticate"},
		{"a 409 on a read", "GET", "/api/v1/accounts", 409, jsonHeader, `{"error":{"code":"conflict","message":"no"}}`, "not documented"},
		{"a 204 revoke", "DELETE", "/api/v1/tokens/3", 204, http.Header{}, "", ""},
		{"readyz as JSON", "GET", "/readyz", 200, jsonHeader, `{}`, "Content-Type"},
		{"readyz", "GET", "/readyz", 503, http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, "not ready: x\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.checkResponse(tt.method, tt.path, tt.status, tt.header, []byte(tt.body))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("valid response refused: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("invalid response accepted, want an error with %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}
