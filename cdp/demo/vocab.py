"""The words the demo people are made of: names, nicknames, places, products, domains.

Kept as plain tuples so the generator can index them with numpy arrays. No value may hold a
double quote or a backslash (the JSON Lines writers do not escape).
"""

from __future__ import annotations

# fmt: off

# First names: (name, nickname or "") per country group; both genders mixed.
EN_FIRST = (
    ("James", "Jim"), ("Robert", "Bob"), ("John", "Johnny"), ("Michael", "Mike"),
    ("William", "Bill"), ("David", "Dave"), ("Richard", "Rick"), ("Joseph", "Joe"),
    ("Thomas", "Tom"), ("Charles", "Charlie"), ("Christopher", "Chris"), ("Daniel", "Dan"),
    ("Matthew", "Matt"), ("Anthony", "Tony"), ("Steven", "Steve"), ("Andrew", "Andy"),
    ("Joshua", "Josh"), ("Kenneth", "Ken"), ("Kevin", ""), ("Brian", ""), ("George", ""),
    ("Edward", "Ed"), ("Ronald", "Ron"), ("Timothy", "Tim"), ("Jason", ""), ("Jeffrey", "Jeff"),
    ("Ryan", ""), ("Jacob", "Jake"), ("Gary", ""), ("Nicholas", "Nick"), ("Eric", ""),
    ("Jonathan", "Jon"), ("Samuel", "Sam"), ("Benjamin", "Ben"), ("Alexander", "Alex"),
    ("Patrick", "Pat"), ("Mary", ""), ("Patricia", "Patty"), ("Jennifer", "Jen"),
    ("Linda", ""), ("Elizabeth", "Liz"), ("Barbara", "Barb"), ("Susan", "Sue"),
    ("Jessica", "Jess"), ("Sarah", ""), ("Karen", ""), ("Nancy", ""), ("Lisa", ""),
    ("Margaret", "Maggie"), ("Betty", ""), ("Sandra", "Sandy"), ("Ashley", ""),
    ("Dorothy", "Dot"), ("Kimberly", "Kim"), ("Emily", ""), ("Donna", ""), ("Michelle", ""),
    ("Carol", ""), ("Amanda", "Mandy"), ("Melissa", "Mel"), ("Deborah", "Debbie"),
    ("Stephanie", "Steph"), ("Rebecca", "Becky"), ("Laura", ""), ("Sharon", ""),
    ("Cynthia", "Cindy"), ("Kathleen", "Kathy"), ("Katherine", "Kate"), ("Amy", ""),
    ("Olivia", ""), ("Emma", ""), ("Sophia", ""), ("Isabella", "Bella"), ("Charlotte", ""),
    ("Victoria", "Vicky"), ("Christine", "Chris"), ("Samantha", "Sam"), ("Alexandra", "Alex"),
    ("Noah", ""), ("Liam", ""), ("Ethan", ""), ("Lucas", ""), ("Oliver", "Ollie"),
    ("Harry", ""), ("Jack", ""), ("Chloe", ""), ("Grace", ""), ("Hannah", ""), ("Zoe", ""),
)
DE_FIRST = (
    ("Thomas", "Tom"), ("Michael", "Micha"), ("Andreas", "Andi"), ("Stefan", ""),
    ("Christian", "Chris"), ("Markus", ""), ("Alexander", "Alex"), ("Tobias", "Tobi"),
    ("Johannes", "Hannes"), ("Maximilian", "Max"), ("Lukas", ""), ("Florian", "Flo"),
    ("Jürgen", ""), ("Klaus", ""), ("Wolfgang", ""), ("Sebastian", "Basti"), ("Anna", ""),
    ("Julia", ""), ("Katharina", "Kathi"), ("Sabine", ""), ("Stefanie", "Steffi"),
    ("Susanne", "Susi"), ("Christina", "Tina"), ("Nicole", ""), ("Lena", ""), ("Laura", ""),
    ("Sophie", ""), ("Monika", ""), ("Ursula", "Uschi"), ("Birgit", ""), ("Jörg", ""),
)
FR_FIRST = (
    ("Jean", ""), ("Pierre", ""), ("Michel", ""), ("Philippe", ""), ("Nicolas", "Nico"),
    ("François", ""), ("Julien", ""), ("Thomas", "Tom"), ("Antoine", ""), ("Alexandre", "Alex"),
    ("Maxime", "Max"), ("Guillaume", ""), ("Sébastien", "Seb"), ("Frédéric", "Fred"),
    ("Marie", ""), ("Nathalie", ""), ("Isabelle", "Isa"), ("Sophie", ""), ("Camille", ""),
    ("Céline", ""), ("Aurélie", ""), ("Émilie", ""), ("Julie", ""), ("Léa", ""),
    ("Chloé", ""), ("Manon", ""), ("Sandrine", ""), ("Valérie", "Val"), ("Hélène", ""),
)
EN_LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas",
    "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris",
    "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
    "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson",
    "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez",
    "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz",
    "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim",
    "Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett",
    "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel",
    "Myers", "Long", "Ross", "Foster", "Jimenez", "O'Brien", "O'Connor", "McDonald",
    "MacLeod", "Fitzgerald", "Van Buren", "De La Cruz", "Sullivan", "Russell", "Griffin",
    "Hayes", "Wallace", "Fletcher", "Shaw", "Holmes", "Palmer", "Lawrence", "Knight",
)
DE_LAST = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
    "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann",
    "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "von Berg", "Groß",
)
FR_LAST = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
    "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand",
    "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau",
    "Vincent", "Muller", "Faure", "André", "Mercier", "Blanc", "Guérin", "Le Gall",
)

# Countries: code, name variants (HubSpot is free text), share of people, name group,
# phone country code, national mobile layout (prefixes, digits after the prefix).
COUNTRIES = (
    ("US", ("United States", "USA", "United States of America", "US"), 0.68, "en", "1"),
    ("GB", ("United Kingdom", "UK", "Great Britain", "England"), 0.09, "en", "44"),
    ("CA", ("Canada", "CA"), 0.07, "en", "1"),
    ("DE", ("Germany", "Deutschland", "DE"), 0.06, "de", "49"),
    ("FR", ("France", "FR"), 0.05, "fr", "33"),
    ("AU", ("Australia", "AU"), 0.03, "en", "61"),
    ("NL", ("Netherlands", "The Netherlands", "NL"), 0.02, "en", "31"),
)

# Cities per country: (city, region code, region name, postcode prefix, phone area prefix).
CITIES = {
    "US": (
        ("New York", "NY", "New York", "100", "212"), ("Brooklyn", "NY", "New York", "112", "718"),
        ("Los Angeles", "CA", "California", "900", "213"), ("San Francisco", "CA", "California", "941", "415"),
        ("San Diego", "CA", "California", "921", "619"), ("Chicago", "IL", "Illinois", "606", "312"),
        ("Houston", "TX", "Texas", "770", "713"), ("Austin", "TX", "Texas", "787", "512"),
        ("Dallas", "TX", "Texas", "752", "214"), ("Phoenix", "AZ", "Arizona", "850", "602"),
        ("Philadelphia", "PA", "Pennsylvania", "191", "215"), ("Seattle", "WA", "Washington", "981", "206"),
        ("Denver", "CO", "Colorado", "802", "303"), ("Boston", "MA", "Massachusetts", "021", "617"),
        ("Miami", "FL", "Florida", "331", "305"), ("Atlanta", "GA", "Georgia", "303", "404"),
        ("Portland", "OR", "Oregon", "972", "503"), ("Nashville", "TN", "Tennessee", "372", "615"),
        ("Minneapolis", "MN", "Minnesota", "554", "612"), ("Detroit", "MI", "Michigan", "482", "313"),
    ),
    "GB": (
        ("London", "ENG", "England", "SW1", "20"), ("Manchester", "ENG", "England", "M1", "161"),
        ("Birmingham", "ENG", "England", "B1", "121"), ("Leeds", "ENG", "England", "LS1", "113"),
        ("Glasgow", "SCT", "Scotland", "G1", "141"), ("Edinburgh", "SCT", "Scotland", "EH1", "131"),
        ("Bristol", "ENG", "England", "BS1", "117"), ("Cardiff", "WLS", "Wales", "CF1", "29"),
    ),
    "CA": (
        ("Toronto", "ON", "Ontario", "M5V", "416"), ("Vancouver", "BC", "British Columbia", "V6B", "604"),
        ("Montreal", "QC", "Quebec", "H2X", "514"), ("Calgary", "AB", "Alberta", "T2P", "403"),
        ("Ottawa", "ON", "Ontario", "K1P", "613"),
    ),
    "DE": (
        ("Berlin", "BE", "Berlin", "101", "30"), ("München", "BY", "Bayern", "803", "89"),
        ("Hamburg", "HH", "Hamburg", "203", "40"), ("Köln", "NW", "Nordrhein-Westfalen", "506", "221"),
        ("Frankfurt am Main", "HE", "Hessen", "603", "69"), ("Stuttgart", "BW", "Baden-Württemberg", "701", "711"),
    ),
    "FR": (
        ("Paris", "IDF", "Île-de-France", "750", "1"), ("Lyon", "ARA", "Auvergne-Rhône-Alpes", "690", "4"),
        ("Marseille", "PAC", "Provence-Alpes-Côte d'Azur", "130", "4"), ("Toulouse", "OCC", "Occitanie", "310", "5"),
        ("Bordeaux", "NAQ", "Nouvelle-Aquitaine", "330", "5"), ("Lille", "HDF", "Hauts-de-France", "590", "3"),
    ),
    "AU": (
        ("Sydney", "NSW", "New South Wales", "20", "2"), ("Melbourne", "VIC", "Victoria", "30", "3"),
        ("Brisbane", "QLD", "Queensland", "40", "7"), ("Perth", "WA", "Western Australia", "60", "8"),
    ),
    "NL": (
        ("Amsterdam", "NH", "Noord-Holland", "10", "20"), ("Rotterdam", "ZH", "Zuid-Holland", "30", "10"),
        ("Utrecht", "UT", "Utrecht", "35", "30"),
    ),
}

STREETS = (
    "Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park",
    "Church", "High", "Station", "Victoria", "Mill", "Sunset", "River", "Highland", "Forest",
    "Meadow", "King", "Queen", "Bridge", "Spring", "Chestnut", "Walnut", "Willow", "Lincoln",
)
STREET_SUFFIX = ("St", "Street", "Ave", "Avenue", "Rd", "Road", "Ln", "Dr", "Blvd", "Way", "Ct")
STREET_LOCAL = {"DE": ("straße", "weg", "allee", "platz"), "FR": ("rue", "avenue", "boulevard")}

EMAIL_DOMAINS = {
    "US": ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com", "comcast.net"),
    "GB": ("gmail.com", "hotmail.co.uk", "yahoo.co.uk", "btinternet.com", "outlook.com"),
    "CA": ("gmail.com", "hotmail.com", "yahoo.ca", "outlook.com", "shaw.ca"),
    "DE": ("gmail.com", "gmx.de", "web.de", "t-online.de", "outlook.de"),
    "FR": ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr"),
    "AU": ("gmail.com", "bigpond.com", "outlook.com", "yahoo.com.au"),
    "NL": ("gmail.com", "ziggo.nl", "hotmail.nl", "outlook.com"),
}
#: Typos people make in email domains: (right, wrong).
DOMAIN_TYPOS = (
    ("gmail.com", "gmial.com"), ("gmail.com", "gmail.con"), ("hotmail.com", "hotmial.com"),
    ("yahoo.com", "yaho.com"), ("outlook.com", "outlok.com"), ("icloud.com", "iclod.com"),
)
COMPANIES = (
    ("Acme Corp", "acme.com"), ("Globex", "globex.com"), ("Initech", "initech.com"),
    ("Umbrella Health", "umbrellahealth.com"), ("Stark Industries", "starkindustries.com"),
    ("Wayne Enterprises", "wayne-ent.com"), ("Hooli", "hooli.com"), ("Pied Piper", "piedpiper.io"),
    ("Vandelay Industries", "vandelay.com"), ("Soylent", "soylent.co"), ("Cyberdyne", "cyberdyne.io"),
    ("Wonka Foods", "wonkafoods.com"), ("Tyrell", "tyrell.ai"), ("Massive Dynamic", "massivedynamic.com"),
    ("Oceanic Travel", "oceanic-travel.com"), ("Blue Sun", "bluesun.co.uk"), ("Bluth Company", "bluth.com"),
)
#: Placeholder values people type when a form insists.
JUNK_EMAILS = ("test@test.com", "noemail@noemail.com", "none@none.com", "na@na.com", "asdf@asdf.com")
JUNK_PHONES = ("0000000000", "1234567890", "n/a", "000-000-0000", "9999999999")
JUNK_NAMES = ("n/a", "test", "x", "none", "-")

# Products: (title, sku, price, vendor, product type).
PRODUCTS = (
    ("Classic Crew Tee", "TEE-CRW", 24.0, "Northwind Apparel", "Tops"),
    ("Heavyweight Hoodie", "HOO-HVY", 68.0, "Northwind Apparel", "Tops"),
    ("Slim Chino", "CHI-SLM", 59.0, "Northwind Apparel", "Bottoms"),
    ("Relaxed Jeans", "JEA-RLX", 79.0, "Denim Co", "Bottoms"),
    ("Merino Beanie", "BEA-MER", 29.0, "Northwind Apparel", "Accessories"),
    ("Canvas Tote", "TOT-CNV", 19.0, "Northwind Apparel", "Accessories"),
    ("Trail Runner Sneaker", "SNK-TRL", 119.0, "Stride", "Footwear"),
    ("Leather Chelsea Boot", "BOT-CHL", 189.0, "Stride", "Footwear"),
    ("Wool Overcoat", "COA-WOL", 249.0, "Northwind Apparel", "Outerwear"),
    ("Packable Rain Jacket", "JAC-RAN", 98.0, "Northwind Apparel", "Outerwear"),
    ("Cotton Socks 3-Pack", "SOC-3PK", 15.0, "Northwind Apparel", "Accessories"),
    ("Linen Shirt", "SHI-LIN", 64.0, "Northwind Apparel", "Tops"),
    ("Gift Card", "GIFT", 50.0, "Northwind", "Gift Cards"),
    ("Leather Belt", "BLT-LTH", 45.0, "Northwind Apparel", "Accessories"),
    ("Puffer Vest", "VST-PUF", 110.0, "Northwind Apparel", "Outerwear"),
    ("Yoga Legging", "LEG-YOG", 72.0, "Stride", "Bottoms"),
)
SIZES = ("XS", "S", "M", "L", "XL")

CAMPAIGN_SUBJECTS = (
    "New arrivals are here", "Last chance: winter sale", "Your weekend edit", "Free shipping ends tonight",
    "The denim guide", "Back in stock", "Spring collection preview", "Members get 20% off",
    "Gift ideas for everyone", "Our biggest sale of the year", "Summer essentials", "Meet the makers",
)
COMMENTS = (
    "Love this!", "Do you ship to Canada?", "When is this back in stock?", "So comfy, I have three",
    "What size should I get?", "Great quality", "Need this in blue", "Is there a discount code?",
    "Just ordered!", "Obsessed", "Does it run small?", "Beautiful colours",
)
REACTIONS = ("LIKE", "LIKE", "LIKE", "LOVE", "LOVE", "WOW", "HAHA", "CARE")
LEAD_FORMS = (
    ("Spring Giveaway", "Giveaway - Spring"), ("Newsletter Signup 10% Off", "Newsletter - 10% off"),
    ("VIP Early Access", "VIP Early Access"),
)
# fmt: on
