#!/usr/bin/env bash
# Makes test/vectors/sshsig.json: SSHSIG known-answer vectors signed by OpenSSH's own
# ssh-keygen -Y sign (an implementation independent of ours), one per key type and hash.
# Run from the repository root: bash test/vectors/make-sshsig.sh > test/vectors/sshsig.json
# Keys are made fresh in a temporary directory and thrown away; only public keys and
# signatures are kept. Security-key signatures need hardware, so the tests build those.
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ID=vector-host SIGNER=release TS=1800000000 NONCE=00112233445566778899aabbccddeeff
CMD="app deploy channel=stable"
message() { printf 'portcullis-sig-v1\n%s\n%s\n%s\n%s\n%s' "$ID" "$SIGNER" "$TS" "$NONCE" "$CMD"; }

# name | ssh-keygen -t/-b | extra -Y sign options | namespace | expected verdict
rows=(
  "ed25519|-t ed25519||proof-v1@portcullis|valid"
  "ed25519, sha256|-t ed25519|-O hashalg=sha256|proof-v1@portcullis|valid"
  "ecdsa nistp256|-t ecdsa -b 256||proof-v1@portcullis|valid"
  "ecdsa nistp384|-t ecdsa -b 384||proof-v1@portcullis|valid"
  "ecdsa nistp521|-t ecdsa -b 521||proof-v1@portcullis|valid"
  "ecdsa nistp256, sha256|-t ecdsa -b 256|-O hashalg=sha256|proof-v1@portcullis|valid"
  "rsa 2048 (rsa-sha2-512)|-t rsa -b 2048||proof-v1@portcullis|valid"
  "rsa 3072, sha256|-t rsa -b 3072|-O hashalg=sha256|proof-v1@portcullis|valid"
  "rsa 1024|-t rsa -b 1024||proof-v1@portcullis|rsa-too-small"
  "ed25519, namespace file|-t ed25519||file|wrong-namespace"
)
echo '{'
echo '  "comment": "Made by test/vectors/make-sshsig.sh with OpenSSH ssh-keygen -Y sign ('"$(ssh -V 2>&1 | cut -d, -f1)"'). message is the exact text signed.",'
printf '  "message": %s,\n' "$(message | node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(0,"utf8")))')"
echo '  "vectors": ['
for i in "${!rows[@]}"; do
  IFS='|' read -r name keygen sign namespace verdict <<<"${rows[$i]}"
  key="$dir/key$i"
  # shellcheck disable=SC2086
  ssh-keygen -q -N '' -C "vector $i" $keygen -f "$key"
  # shellcheck disable=SC2086
  sig=$(message | ssh-keygen -q -Y sign -n "$namespace" $sign -f "$key" | sed '1d;$d' | tr -d '\n')
  comma=$([ "$i" -lt $((${#rows[@]} - 1)) ] && echo , || true)
  printf '    { "name": "%s", "namespace": "%s", "public_key": "%s", "sig": "%s", "expected": "%s" }%s\n' \
    "$name" "$namespace" "$(cut -d' ' -f1,2 "$key.pub")" "$sig" "$verdict" "$comma"
done
echo '  ]'
echo '}'
