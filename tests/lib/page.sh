# tests/lib/page.sh - checks that a web server serves the search page
# (www/) as shipped: sourced by the web-server tests after tests/lib/harness.sh.

# ar_check_page BASE [NAME [USER]]: GET BASE/, BASE/app.css and BASE/js/main.js
# answer 200 with the checkout's files byte for byte and the types a
# browser needs (an ES module runs only when served as JavaScript), and
# the page's API call (BASE/_sme/async_requests/whoami) answers JSON. With
# USER, every request signs in as USER (password pw-USER).
ar_check_page() {
	local base=$1 name=${2:-page} user=${3:-} f path type want got hdr auth=()
	[ -z "$user" ] || auth=(-u "$user:pw-$user")
	for f in "index.html|/|text/html" "app.css|/app.css|text/css" \
	    "js/main.js|/js/main.js|text/javascript" "js/results.js|/js/results.js|text/javascript"; do
		IFS='|' read -r path f type <<<"$f"
		hdr=$(curl -s "${auth[@]}" -o "$T/page.body" -D - "$base$f" | tr -d '\r')
		got=$(sed -n 's/^[Cc]ontent-[Tt]ype: *\([^;]*\).*/\1/p' <<<"$hdr" | head -n 1)
		ar_is "$name: GET $f is $type" "$(head -n 1 <<<"$hdr" | cut -d' ' -f2) $got" "200 $type"
		ar_check "$name: GET $f is www/$path byte for byte" cmp -s "$T/page.body" "$AR_SRCDIR/www/$path"
	done
	ar_http GET "$base/_sme/async_requests/whoami" "" "$user"
	want="{\"user\":\"${user:-anonymous}\",\"admin\":false}"
	ar_is "$name: the page's API beside it (whoami)" "$HTTP_STATUS $HTTP_BODY" "200 $want"
}
