package evidence

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"strings"
	"time"
)

// TSAClient asks an RFC 3161 time-stamping authority to vouch that a
// digest existed at a time. The token it returns is kept as
// manifest.json.tsr; Vigil checks that it answers the request (imprint and
// nonce) but not the authority's certificate chain: that is for whoever
// relies on the time, with the authority's certificates:
//
//	openssl ts -verify -data manifest.json -in manifest.json.tsr -CAfile tsa.pem
type TSAClient struct {
	// URL is the authority's endpoint, e.g. https://freetsa.org/tsr.
	URL string
	// HTTPClient defaults to a client with a 30-second timeout.
	HTTPClient *http.Client
}

var (
	oidSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
)

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional"`
}

type pkiStatusInfo struct {
	Status       int
	StatusString []string       `asn1:"optional"`
	FailInfo     asn1.BitString `asn1:"optional"`
}

type timeStampResp struct {
	Status         pkiStatusInfo
	TimeStampToken asn1.RawValue `asn1:"optional"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	// Content is [0] EXPLICIT: its Bytes are the SignedData.
	Content asn1.RawValue
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      asn1.RawValue
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     []byte `asn1:"explicit,optional,tag:0"`
}

type accuracy struct {
	Seconds int `asn1:"optional"`
	Millis  int `asn1:"optional,tag:0"`
	Micros  int `asn1:"optional,tag:1"`
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time     `asn1:"generalized"`
	Accuracy       accuracy      `asn1:"optional"`
	Ordering       bool          `asn1:"optional"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional,explicit,tag:0"`
	Extensions     asn1.RawValue `asn1:"optional,tag:1"`
}

// pkiStatusNames are the PKIStatus values of RFC 3161 section 2.4.2.
var pkiStatusNames = []string{"granted", "grantedWithMods", "rejection", "waiting", "revocationWarning", "revocationNotification"}

// Timestamp asks the authority to timestamp a SHA-256 digest and returns
// its TimeStampResp (DER) as received, after checking that the status is
// granted and that the token's imprint and nonce are those asked for.
func (c *TSAClient) Timestamp(ctx context.Context, digest []byte) ([]byte, error) {
	if len(digest) != 32 {
		return nil, fmt.Errorf("tsa: a SHA-256 digest has 32 bytes, not %d", len(digest))
	}
	var nb [8]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, err
	}
	nonce := new(big.Int).SetBytes(nb[:])
	req, err := asn1.Marshal(timeStampReq{
		Version:        1,
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}, HashedMessage: digest},
		Nonce:          nonce,
		CertReq:        true,
	})
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	hreq.Header.Set("Accept", "application/timestamp-reply")
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("tsa %s: %w", c.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("tsa %s: HTTP %s", c.URL, resp.Status)
	}
	if len(body) > 1<<20 {
		return nil, fmt.Errorf("tsa %s: response over 1 MiB", c.URL)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/timestamp-reply" {
		return nil, fmt.Errorf("tsa %s: Content-Type %q, not application/timestamp-reply", c.URL, resp.Header.Get("Content-Type"))
	}
	info, err := parseTimeStampResp(body)
	if err != nil {
		return nil, fmt.Errorf("tsa %s: %w", c.URL, err)
	}
	if err := checkImprint(info, digest); err != nil {
		return nil, fmt.Errorf("tsa %s: %w", c.URL, err)
	}
	if info.Nonce == nil || info.Nonce.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("tsa %s: the token's nonce is not the request's: a replayed or misdirected answer", c.URL)
	}
	return body, nil
}

// parseTimeStampResp reads a TimeStampResp and returns the TSTInfo of its
// token: status granted or grantedWithMods, the token a CMS SignedData
// whose encapsulated content is a TSTInfo. Only DER is read (what
// authorities send); the token's signature is not checked.
func parseTimeStampResp(der []byte) (*tstInfo, error) {
	var resp timeStampResp
	rest, err := asn1.Unmarshal(der, &resp)
	if err != nil {
		return nil, fmt.Errorf("not a TimeStampResp: %w", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("not a TimeStampResp: trailing bytes")
	}
	if st := resp.Status.Status; st != 0 && st != 1 {
		name := fmt.Sprint(st)
		if st >= 0 && st < len(pkiStatusNames) {
			name = pkiStatusNames[st]
		}
		msg := fmt.Sprintf("status %s (%d)", name, st)
		if len(resp.Status.StatusString) > 0 {
			msg += ": " + strings.Join(resp.Status.StatusString, "; ")
		}
		return nil, errors.New(msg)
	}
	if len(resp.TimeStampToken.FullBytes) == 0 {
		return nil, errors.New("granted but no token")
	}
	var ci contentInfo
	if _, err := asn1.Unmarshal(resp.TimeStampToken.FullBytes, &ci); err != nil {
		return nil, fmt.Errorf("token: not a ContentInfo: %w", err)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("token: content type %v, not signedData", ci.ContentType)
	}
	if ci.Content.Class != asn1.ClassContextSpecific || ci.Content.Tag != 0 || !ci.Content.IsCompound {
		return nil, errors.New("token: content is not [0] EXPLICIT")
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("token: not a SignedData: %w", err)
	}
	if !sd.EncapContentInfo.EContentType.Equal(oidTSTInfo) {
		return nil, fmt.Errorf("token: content type %v, not TSTInfo", sd.EncapContentInfo.EContentType)
	}
	var info tstInfo
	rest, err = asn1.Unmarshal(sd.EncapContentInfo.EContent, &info)
	if err != nil {
		return nil, fmt.Errorf("token: not a TSTInfo: %w", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("token: trailing bytes after the TSTInfo")
	}
	return &info, nil
}

func checkImprint(info *tstInfo, digest []byte) error {
	if !info.MessageImprint.HashAlgorithm.Algorithm.Equal(oidSHA256) {
		return fmt.Errorf("the token's imprint uses %v, not SHA-256", info.MessageImprint.HashAlgorithm.Algorithm)
	}
	if !bytes.Equal(info.MessageImprint.HashedMessage, digest) {
		return errors.New("the token's message imprint is not the SHA-256 of manifest.json")
	}
	return nil
}
