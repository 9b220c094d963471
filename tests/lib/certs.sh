# tests/lib/certs.sh - certificates the tests make for themselves.
# Source it, then: gvt_make_certs DIR
# Makes, under DIR:
#   wallet-ca.pem        the wallet's TLS CA (the adapter trusts it)
#   server.pem/.key      the adapter's server certificate (127.0.0.1, localhost)
#   client.pem/.key      a valid wallet client certificate
#   other-ca.pem         a CA the adapter does not trust
#   other-client.pem/.key  a client certificate from that other CA
#   expired-client.pem/.key  a wallet-CA client certificate that has expired
#   wallet-sign-ca.pem   the wallet's signing CA (the adapter trusts its signatures)
#   wallet-signer.pem/.key   the wallet's signing certificate
#   expired-signer.pem/.key  a wallet signing certificate that has expired
#   other-signer.pem/.key    a signing certificate from other-ca
#   provider-signer.pem/.key the adapter's signing certificate (provider-ca)
#   provider-client.pem/.key the adapter's TLS client certificate for its
#                        calls to the wallet (provider-ca)
#   wallet-server.pem/.key   the wallet's server certificate (wallet-ca)
# shellcheck shell=bash

gvt_make_certs() {
    local dir=$1
    mkdir -p "$dir"
    (
        set -e
        cd "$dir"
        local subj=/C=KZ/O=gasvoucher-tests
        _ca() { # name cn
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout "$1.key" -out "$1.pem" -days 30 -subj "$subj/CN=$2" \
                -addext basicConstraints=critical,CA:TRUE \
                -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        }
        _leaf() { # name ca cn usage [startdate enddate]
            local name=$1 ca=$2 cn=$3 usage=$4
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout "$name.key" -out "$name.csr" -subj "$subj/CN=$cn" 2>/dev/null
            {
                echo "basicConstraints=CA:FALSE"
                echo "keyUsage=critical,digitalSignature"
                echo "extendedKeyUsage=$usage"
                [ "$usage" = serverAuth ] && echo "subjectAltName=IP:127.0.0.1,DNS:localhost"
                true
            } > "$name.ext"
            if [ $# -ge 6 ]; then
                # openssl ca is the one that takes explicit validity dates.
                _leaf_dated "$name" "$ca" "$5" "$6"
            else
                openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" \
                    -CAcreateserial -out "$name.pem" -days 30 -sha256 \
                    -extfile "$name.ext" 2>/dev/null
            fi
        }
        _ca wallet-ca "Test Wallet TLS CA"
        _ca provider-ca "Test Provider CA"
        _ca other-ca "Some Other CA"
        _leaf server provider-ca 127.0.0.1 serverAuth
        _leaf client wallet-ca "wallet-client" clientAuth
        _leaf other-client other-ca "intruder" clientAuth
        _leaf expired-client wallet-ca "expired-wallet-client" clientAuth \
            20200101000000Z 20200201000000Z
        _ca wallet-sign-ca "Test Wallet Signing CA"
        _leaf wallet-signer wallet-sign-ca "wallet-signer" emailProtection
        _leaf expired-signer wallet-sign-ca "expired-wallet-signer" emailProtection \
            20200101000000Z 20200201000000Z
        _leaf other-signer other-ca "forger" emailProtection
        _leaf provider-signer provider-ca "provider-signer" emailProtection
        _leaf provider-client provider-ca "provider-client" clientAuth
        _leaf wallet-server wallet-ca 127.0.0.1 serverAuth
    )
}

# A certificate with explicit validity dates, through openssl ca and a
# minimal configuration of its own.
_leaf_dated() {
    local name=$1 ca=$2 start=$3 end=$4
    mkdir -p "ca-$name"
    : > "ca-$name/index.txt"
    cat > "ca-$name/ca.cnf" <<CNF
[ ca ]
default_ca = d
[ d ]
database = ca-$name/index.txt
new_certs_dir = ca-$name
serial = ca-$name/serial
default_md = sha256
policy = p
copy_extensions = none
[ p ]
commonName = supplied
CNF
    echo 01 > "ca-$name/serial"
    openssl ca -batch -notext -config "ca-$name/ca.cnf" -cert "$ca.pem" -keyfile "$ca.key" \
        -in "$name.csr" -out "$name.pem" -startdate "$start" -enddate "$end" \
        -extfile "$name.ext" 2>/dev/null
}
