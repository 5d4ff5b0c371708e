"""Country and US state names to codes, for :mod:`identity.normalize`."""

from __future__ import annotations

__all__ = ["COUNTRIES", "US_STATES"]

# alpha-2, alpha-3, then names people write (lowercase ASCII, single spaces).
_COUNTRY_TABLE = """
us usa|united states|united states of america|america|u s a|u s
gb gbr|united kingdom|uk|great britain|britain|england|scotland|wales|northern ireland|u k
ca can|canada
au aus|australia
nz nzl|new zealand
ie irl|ireland|eire
de deu|germany|deutschland
fr fra|france
es esp|spain|espana
it ita|italy|italia
nl nld|netherlands|the netherlands|holland|nederland
be bel|belgium|belgique|belgie
at aut|austria|osterreich
ch che|switzerland|schweiz|suisse
se swe|sweden|sverige
no nor|norway|norge
dk dnk|denmark|danmark
fi fin|finland|suomi
pl pol|poland|polska
pt prt|portugal
gr grc|greece
cz cze|czech republic|czechia
hu hun|hungary
ro rou|romania
bg bgr|bulgaria
hr hrv|croatia
sk svk|slovakia
si svn|slovenia
lu lux|luxembourg
is isl|iceland
ee est|estonia
lv lva|latvia
lt ltu|lithuania
ua ukr|ukraine
ru rus|russia|russian federation
tr tur|turkey|turkiye
il isr|israel
ae are|united arab emirates|uae
sa sau|saudi arabia
in ind|india
cn chn|china
jp jpn|japan
kr kor|south korea|korea|republic of korea
sg sgp|singapore
hk hkg|hong kong
tw twn|taiwan
my mys|malaysia
th tha|thailand
id idn|indonesia
ph phl|philippines
vn vnm|vietnam|viet nam
mx mex|mexico
br bra|brazil|brasil
ar arg|argentina
cl chl|chile
co col|colombia
pe per|peru
za zaf|south africa
ng nga|nigeria
ke ken|kenya
eg egy|egypt
ma mar|morocco
"""

_US_STATE_TABLE = """
al alabama|ak alaska|az arizona|ar arkansas|ca california|co colorado|ct connecticut
de delaware|fl florida|ga georgia|hi hawaii|id idaho|il illinois|in indiana|ia iowa
ks kansas|ky kentucky|la louisiana|me maine|md maryland|ma massachusetts|mi michigan
mn minnesota|ms mississippi|mo missouri|mt montana|ne nebraska|nv nevada|nh new hampshire
nj new jersey|nm new mexico|ny new york|nc north carolina|nd north dakota|oh ohio
ok oklahoma|or oregon|pa pennsylvania|ri rhode island|sc south carolina|sd south dakota
tn tennessee|tx texas|ut utah|vt vermont|va virginia|wa washington|wv west virginia
wi wisconsin|wy wyoming|dc district of columbia|pr puerto rico
"""


def _countries() -> dict[str, str]:
    import phonenumbers

    table = {code.lower(): code.lower() for code in phonenumbers.SUPPORTED_REGIONS}
    for line in _COUNTRY_TABLE.strip().splitlines():
        head, *names = line.split("|")
        alpha2, alpha3 = head.split()
        for key in (alpha2, alpha3, *names):
            table[key] = alpha2
    return table


def _states() -> dict[str, str]:
    table: dict[str, str] = {}
    for chunk in _US_STATE_TABLE.split("|"):
        code, name = chunk.strip().split(" ", 1)
        table[code] = code
        table[name] = code
    return table


#: written country (lowercase ASCII) -> ISO alpha-2 lowercase
COUNTRIES: dict[str, str] = _countries()
#: written US state (lowercase ASCII) -> two-letter code lowercase
US_STATES: dict[str, str] = _states()
