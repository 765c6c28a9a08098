package handler

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/MicahParks/jwkset"
)

// parseJWK keeps only public signing keys this server can trust.
func TestParseJWK(t *testing.T) {
	marshal := func(key any, kid string, use jwkset.USE, private bool) json.RawMessage {
		j, err := jwkset.NewJWKFromKey(key, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, USE: use}, Marshal: jwkset.JWKMarshalOptions{Private: private}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(j.Marshal())
		return b
	}
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)

	var offCurve map[string]any
	json.Unmarshal(marshal(&ec.PublicKey, "bad", jwkset.UseSig, false), &offCurve)
	y, _ := base64.RawURLEncoding.DecodeString(offCurve["y"].(string))
	y[len(y)-1] ^= 1
	offCurve["y"] = base64.RawURLEncoding.EncodeToString(y)
	offCurveRaw, _ := json.Marshal(offCurve)

	for _, c := range []struct {
		name string
		raw  json.RawMessage
		ok   bool
	}{
		{"RSA 2048", marshal(&rsa2048.PublicKey, "r", jwkset.UseSig, false), true},
		{"EC P-256", marshal(&ec.PublicKey, "e", "", false), true},
		{"Ed25519", marshal(edPub, "d", jwkset.UseSig, false), true},
		{"private parts ignored", marshal(rsa2048, "p", jwkset.UseSig, true), true},
		{"RSA 1024", marshal(&rsa1024.PublicKey, "s", jwkset.UseSig, false), false},
		{"encryption key", marshal(&rsa2048.PublicKey, "x", jwkset.UseEnc, false), false},
		{"EC point off the curve", offCurveRaw, false},
		{"symmetric key", json.RawMessage(`{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}`), false},
		{"unknown type", json.RawMessage(`{"kty":"XYZ"}`), false},
		{"not an object", json.RawMessage(`"x"`), false},
	} {
		sk, err := parseJWK(c.raw)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok %v", c.name, err, c.ok)
			continue
		}
		if c.ok {
			switch sk.key.(type) {
			case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			default:
				t.Errorf("%s: key is %T, not a public key", c.name, sk.key)
			}
		}
	}
}
