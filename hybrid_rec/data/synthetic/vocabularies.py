"""The words of the synthetic catalogs (`products.make_products`): per kind of catalog, each category's title
qualifiers, title nouns (no noun in two categories of a kind) and what its items are for, and the kind's
optional second field (a book's author, a trip's destination). Data only."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOOK_AUTHORS", "BOOK_CATEGORIES", "MUSIC_CATEGORIES", "PRODUCT_CATEGORIES", "TRIP_CATEGORIES", "TRIP_DESTINATIONS",
    "VOCABULARIES", "CategoryWords", "Vocabulary",
]  # fmt: skip


@dataclass(frozen=True)
class CategoryWords:
    """One category's vocabulary: title qualifiers, title nouns (unique to the category) and what
    its items are for (descriptions)."""

    qualifiers: tuple[str, ...]
    nouns: tuple[str, ...]
    uses: tuple[str, ...]


# Each category: its name, then indented lines of title qualifiers, title nouns (no noun in two
# categories) and what its items are for, each list separated by "; ".
_VOCABULARY = """
Camping
    Waterproof; Ultralight; Insulated; Folding; Rugged; All-Season; Trail; Backcountry
    Headlamp; Tent; Sleeping Bag; Camp Stove; Lantern; Hammock; Water Filter; Sleeping Pad; Trekking Poles; Dry Bag
    trips into the backcountry; nights at the campsite; hikes in any weather; packing light on long treks
Kitchen
    Stainless Steel; Nonstick; Cast Iron; Bamboo; Ceramic; Professional; Heavy-Duty; Silicone
    Chef Knife; Frying Pan; Cutting Board; Saucepan; Mixing Bowl; Spatula; Baking Sheet; Dutch Oven; Whisk; Colander
    everyday cooking; preparing family meals; searing, simmering and roasting; roasting and baking
Audio
    Wireless; Noise-Cancelling; Bluetooth; Studio; Portable; Hi-Fi; Over-Ear; Compact
    Headphones; Earbuds; Speaker; Soundbar; Turntable; Microphone; Amplifier; Subwoofer; Radio; Receiver
    rich, clear sound; listening at home or on the go; gaming and TV with deep bass; recording and streaming
Toys
    Wooden; Plush; Remote-Control; Magnetic; Musical; Stacking; Glow-in-the-Dark; Colorful
    Building Blocks; Teddy Bear; Race Car; Jigsaw Puzzle; Dollhouse; Train Set; Action Figure; Kite; Board Game; Robot Kit
    hours of imaginative play; kids aged 3 and up; playtime with friends and family; learning through play
Skin Care
    Hydrating; Soothing; Fragrance-Free; Gentle; Vitamin C; Overnight; Oil-Free; Brightening
    Face Cream; Serum; Cleanser; Moisturizer; Sunscreen; Face Mask; Toner; Eye Cream; Lip Balm; Body Lotion
    dry or sensitive skin; a daily skincare routine; soft, healthy-looking skin; protection from sun and wind
Pet Supplies
    Orthopedic; Chew-Proof; Self-Cleaning; Reflective; Calming; Washable; Stainless; Adjustable
    Dog Bed; Cat Tree; Leash; Pet Bowl; Litter Box; Chew Toy; Scratching Post; Pet Carrier; Dog Collar; Grooming Brush
    dogs of every size; cats that love to climb; walks and trips to the vet; happy, healthy pets
Gardening
    Ergonomic; Rust-Proof; Telescopic; Self-Watering; Raised; Weatherproof; Organic; Expandable
    Pruning Shears; Garden Hose; Trowel; Watering Can; Planter; Seed Kit; Wheelbarrow; Garden Gloves; Compost Bin; Rake
    beds, borders and balconies; growing vegetables and herbs; keeping plants healthy all season; weekend work in the yard
Office
    Ergonomic; Adjustable; Wireless; Leather; Minimalist; Refillable; Executive; Slim
    Desk Chair; Desk Lamp; Notebook; Mouse; Keyboard; Monitor Stand; Stapler; File Organizer; Fountain Pen; Whiteboard
    long hours at the desk; a tidy workspace; meetings, notes and planning; paperwork and filing
Fitness
    Adjustable; Non-Slip; Heavy-Duty; Foldable; Weighted; Quick-Dry; Pro; Compact
    Dumbbells; Yoga Mat; Kettlebell; Jump Rope; Resistance Bands; Foam Roller; Exercise Bike; Pull-Up Bar; Gym Bag; Ab Wheel
    strength training; cardio and endurance sessions; yoga, stretching and recovery; building muscle at the gym
Baby
    Organic Cotton; Hypoallergenic; Soft; Convertible; BPA-Free; Lightweight; Cozy; Washable
    Baby Bottle; Crib Mobile; Stroller; Baby Carrier; Diaper Bag; Pacifier; Baby Monitor; High Chair; Swaddle Blanket; Teething Rattle
    newborns and infants; parents on the go; soothing little ones to sleep; the first year of life
"""


def _read_vocabulary(text: str) -> dict[str, CategoryWords]:
    """`_VOCABULARY` as {category: CategoryWords}."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for line in text.strip().splitlines():
        if line.startswith(" "):
            out[next(reversed(out))].append(tuple(line.strip().split("; ")))
        else:
            out[line.strip()] = []
    return {name: CategoryWords(*lists) for name, lists in out.items()}


PRODUCT_CATEGORIES: dict[str, CategoryWords] = _read_vocabulary(_VOCABULARY)

# A record shop's catalog in the same format: music genres, album titles, what each album is for.
_MUSIC_VOCABULARY = """
Jazz
    Smoky; Late-Night; Bebop; Cool; Modal; Swinging; Big Band; Smooth
    Saxophone Sessions; Piano Trio; Standards; Quartet; Trumpet Ballads; Jam Session; Club Recordings; Brass Suite; Scat Vocals; Double Bass Grooves
    quiet evenings with a glass of wine; improvised solos and swing; smoky late-night clubs; classic standards reimagined
Rock
    Loud; Garage; Arena; Indie; Psychedelic; Classic; Grunge; Electric
    Guitar Anthems; Power Chords; Drum Solos; Riffs; Stadium Hits; Amplified Ballads; Road Songs; Rebel Yells; Distortion Sessions; Encore Tapes
    turning the volume up; road trips with the windows down; singing along at full volume; guitar solos that never end
Classical
    Baroque; Romantic; Orchestral; Chamber; Symphonic; Solo; Operatic; Renaissance
    Violin Concertos; Symphonies; String Quartets; Piano Sonatas; Cello Suites; Overtures; Requiem; Nocturnes; Preludes; Fugues
    the concert hall at home; studying and focus; the great composers of the past; orchestras and soloists
Hip-Hop
    Underground; Old-School; Boom-Bap; West Coast; Freestyle; Lyrical; Trap; Street
    Rap Verses; Beat Tape; Mixtape; Rhymes; Cyphers; Breakbeats; Turntable Scratches; Block Party; Flow; Bars
    clever rhymes and heavy beats; nodding along to the beat; stories from the street; freestyle battles
Country
    Honky-Tonk; Bluegrass; Nashville; Outlaw; Heartland; Acoustic; Backroad; Western
    Banjo Picking; Fiddle Tunes; Cowboy Songs; Pickup Truck Ballads; Barn Dance; Steel Guitar Laments; Rodeo Songs; Front Porch Tunes; Campfire Twang; Whiskey Waltzes
    dusty roads and small towns; heartbreak and pickup trucks; dancing in the barn; front porch evenings
Electronic
    Ambient; Deep House; Techno; Synthwave; Trance; Downtempo; Minimal; Club
    Synthesizer Loops; Dance Floor Mixes; Drum Machine Grooves; Remixes; Bass Drops; Laser Sessions; Rave Tracks; Modular Patches; Afterhours Set; Arpeggios
    dancing all night; warehouse raves; focus with a steady beat; glowing synthesizers and bass
Folk
    Traditional; Fireside; Celtic; Rootsy; Pastoral; Wandering; Hand-Played; Village
    Broadside Songs; Fingerpicked Songs; Sea Shanties; Murder Ballads; Harmonica Tunes; Protest Songs; Lullabies; Dulcimer Airs; Storytelling Songs; Hearth Songs
    stories passed down for generations; quiet acoustic evenings; songs of the countryside; voices and a single guitar
Metal
    Heavy; Thrash; Doom; Black; Speed; Death; Sludge; Brutal
    Riff Assault; Blast Beats; Headbanger Anthems; Screams; Double Kick Drums; Mosh Pit Hymns; Shred Solos; Dark Chants; Iron Hammers; Inferno Live
    headbanging in the mosh pit; the loudest, fastest riffs; dark and heavy sounds; screaming vocals and double kicks
Pop
    Catchy; Chart-Topping; Upbeat; Dance-Pop; Teen; Summer; Bubblegum; Radio-Friendly
    Hit Parade; Singles; Love Songs; Chart Toppers; Choruses; Karaoke Favourites; Boy Band Songs; Dance Tracks; Sing-Alongs; Music Videos
    singing in the shower; catchy choruses stuck in your head; the top of the charts; summer parties
Blues
    Delta; Chicago; Soulful; Mournful; Juke Joint; Mississippi; Gritty; Midnight
    Slide Guitar Laments; Harmonica Wails; Twelve-Bar Shuffles; Crossroads Songs; Juke Joint Stomps; Field Hollers; Train Whistle Blues; Bottleneck Sessions; Heartache Hymns; Mojo Songs
    hard times and heartache; late nights in a juke joint; a guitar that cries; the Mississippi delta
"""
MUSIC_CATEGORIES: dict[str, CategoryWords] = _read_vocabulary(_MUSIC_VOCABULARY)
# A bookshop's catalog in the same format: subjects, book titles, who each book is for; each book also has
# an author (`BOOK_AUTHORS`: three per subject), a second field a request may name.
_BOOK_VOCABULARY = """
Mystery & Thriller
    Silent; Midnight; Deadly; Hidden; Cold; Vanishing; Poisoned; Locked-Room
    Witness; Alibi; Detective; Case Files; Murder; Suspect; Conspiracy; Cipher; Inheritance; Disappearance
    readers who love a twisting plot; solving the crime before the detective does; sleepless nights of suspense; clues, red herrings and a final reveal
Romance
    Summer; Forbidden; Secret; Second-Chance; Royal; Sweet; Starlit; Seaside
    Love Letters; Kiss; Wedding; Heartbreak; Courtship; Engagement; Affair; Sweetheart; Honeymoon; Proposal
    falling in love all over again; a happy ending guaranteed; slow-burn passion and longing; cosy evenings and a full heart
History
    Ancient; Medieval; Imperial; Forgotten; Victorian; Revolutionary; Wartime; Lost
    Empires; Dynasties; Battles; Chronicles; Kingdoms; Crusades; Revolutions; Pharaohs; Civilizations; Archives
    understanding how the past shaped today; the rise and fall of nations; wars, kings and revolutions; curious minds and history buffs
Science Fiction
    Galactic; Quantum; Interstellar; Cybernetic; Martian; Dystopian; Orbital; Robotic
    Starship; Colony; Android; Time Machine; Space Station; Warp Drive; Alien Contact; Cyborg; Mothership; Terraforming
    journeys to distant stars; imagining the future of technology; robots, aliens and space travel; what-ifs about tomorrow's world
Fantasy
    Fabled; Enchanted; Elven; Cursed; Mythic; Arcane; Shadow; Wandering
    Sword; Quest; Wizard; Spellbook; Dragon; Throne; Prophecy; Amulet; Realm; Sorceress
    magic, dragons and epic quests; escaping to another world; sword and sorcery adventures; heroes, wizards and ancient prophecies
Cookbooks
    Easy; Weeknight; Vegetarian; Rustic; Italian; One-Pot; Seasonal; Homestyle
    Recipes; Baking; Soups; Suppers; Pasta; Desserts; Grilling; Breads; Salads; Feasts
    cooking for family and friends; weeknight dinners in thirty minutes; bakers and home cooks; learning to cook from scratch
Biography
    Untold; Remarkable; Unfinished; Extraordinary; Private; Honest; Unlikely; Fearless
    Life; Memoir; Portrait; Journey; Autobiography; Diaries; Legacy; Confessions; Early Years; Last Interview
    the real lives of famous people; inspiring true stories; leaders, artists and pioneers; readers who love a true story
Self-Help
    Mindful; Confident; Productive; Calm; Resilient; Practical; Positive; Simple
    Habits; Mindset; Happiness; Focus; Leadership; Motivation; Wellbeing; Success; Confidence; Morning Routine
    building better habits; less stress and more balance; reaching your goals; personal growth and self-improvement
Children's Books
    Sleepy; Little; Giggling; Brave; Curious; Colourful; Cuddly; Magical
    Bedtime Stories; Picture Book; ABC Book; Bunny; Puppy Tales; Nursery Rhymes; Counting Book; Fairy Tales; Pop-Up Book; Alphabet Adventures
    reading aloud at bedtime; little readers aged 2 to 6; first words and bright pictures; story time with the kids
Poetry
    Collected; Selected; Lyric; Quiet; Autumn; Moonlit; Wild; Tender
    Poems; Sonnets; Verses; Haiku; Odes; Elegies; Stanzas; Epigrams; Psalms; Cantos
    slow reading and reflection; words that sing; love, loss and nature in verse; reading aloud by candlelight
"""
BOOK_CATEGORIES: dict[str, CategoryWords] = _read_vocabulary(_BOOK_VOCABULARY)
# Three invented authors per subject, in the order of `BOOK_CATEGORIES`; a book's author is one of its subject's.
BOOK_AUTHORS: dict[str, tuple[str, ...]] = dict(zip(BOOK_CATEGORIES, (
    ("Harriet Vane", "Silas Moreland", "Edda Kross"), ("Juliet Ashby", "Rosa Bellamy", "Colin Sweeting"),
    ("Tobias Grant", "Miriam Oakes", "Leopold Stern"), ("Vera Castellan", "Orson Pike", "Ada Rennick"),
    ("Rowan Ashgrove", "Isolde Fenn", "Caspian Wilde"), ("Nadia Basil", "Pierre Laurent", "Greta Honeywell"),
    ("Samuel Whitlock", "Lydia Marsh", "Arthur Penrose"), ("Maya Sunderland", "Dale Brightwater", "Ingrid Solace"),
    ("Poppy Button", "Benji Larkspur", "Tilly Hopscotch"), ("Evelyn Thorne", "Rafael Quill", "Selma Aurora"),
), strict=True))
# A travel agency's catalog in the same format: kinds of holiday, trip titles, who each trip is for; each trip
# also has a destination (`TRIP_DESTINATIONS`: three per kind, some countries in two kinds), a second field.
_TRIP_VOCABULARY = """
Beach
    Sunny; Barefoot; Turquoise; Island; Lazy; Coastal; Palm-Fringed; Seaside
    Beach Escape; Lagoon Retreat; Sandbar Getaway; Coral Bay Stay; Surf Week; Cove Holiday; Shoreline Break; Atoll Hideaway; Sun Lounger Week; Beachfront Villa
    lazy days on the sand; swimming in warm, clear water; sunsets over the sea; sunbathing and snorkelling
City Break
    Weekend; Cosmopolitan; Old-Town; Rooftop; Boutique; Metropolitan; Gallery; Cafe
    City Break; Old Town Walk; Museum Pass Weekend; Skyline Tour; Boulevard Stay; Capital Weekend; Downtown Loft; Tram Tour; Market Crawl; Riverside Hotel
    museums, galleries and cafes; exploring a new city on foot; shopping and nightlife; a long weekend away
Skiing
    Powder; Alpine; Snowy; Off-Piste; Chalet; Glacier; Apres-Ski; Black-Run
    Ski Week; Chalet Stay; Slope Pass; Snowboard Camp; Piste Package; Ski Lodge; Lift Pass Week; Snowshoe Trail; Ski School; Mountain Hut
    fresh powder and long runs; skiers and snowboarders of every level; evenings by the fire after the slopes; winter in the mountains
Safari
    Big-Five; Savannah; Wild; Game-Drive; Bush; Tented; Migration; Sunset
    Safari; Game Reserve Tour; Bush Camp; Wildlife Drive; Lion Trail; Elephant Lodge; Savannah Camp; Gorilla Encounter; Jeep Expedition; Watering Hole Lodge
    lions, elephants and giraffes up close; early-morning game drives; wildlife photographers; nights under African skies
Cruise
    Ocean; Luxury; River; Fjord; All-Inclusive; Island-Hopping; Grand; Sailing
    Cruise; Voyage; Ocean Liner Trip; Harbour Tour; Cabin Package; Deck Holiday; Port Circuit; Yacht Charter; Sea Passage; Ferry Route
    waking up in a new port every day; dining and shows on board; seeing the coast from the sea; days at sea
Hiking
    Trail; Summit; Ridge; Hut-to-Hut; Highland; Mountain; Long-Distance; Wilderness
    Trek; Ridge Walk; Summit Climb; Trail Week; Pilgrim Way; Canyon Hike; Valley Walk; Backpacking Route; Peak Challenge; Footpath Tour
    long days on foot in the hills; walkers who love a view from the top; guided treks with luggage carried; fresh air and mountain paths
Family
    Kid-Friendly; Family; Theme-Park; Splash; All-Ages; Holiday-Club; Playful; Fun-Packed
    Theme Park Trip; Water Park Stay; Holiday Village; Family Resort; Kids Club Week; Farm Stay; Adventure Park Break; Zoo Weekend; Caravan Park; Fun Fair Break
    parents and children of all ages; kids' clubs and pools; days out the whole family will love; the school holidays
Wellness
    Spa; Tranquil; Detox; Mindful; Yoga; Thermal; Restorative; Serene
    Spa Retreat; Yoga Retreat; Wellness Weekend; Hot Spring Stay; Meditation Retreat; Massage Package; Detox Break; Sauna Weekend; Pilates Week; Healing Sanctuary
    rest, massage and relaxation; switching off from a busy life; body and mind; a quiet recharge
Culture
    Ancient; Heritage; Guided; Archaeological; Cathedral; Temple; Medieval; Renaissance
    Ruins Tour; Heritage Trail; Temple Circuit; Castle Tour; Pilgrimage; Archaeology Dig; Monastery Stay; Palace Tour; History Tour; Art Trail
    history, ruins and ancient sites; guided tours with expert historians; art, architecture and tradition; curious travellers
Adventure
    Extreme; Adrenaline; White-Water; Rugged; Daredevil; Expedition; Thrill; Wild-Water
    Rafting Trip; Bungee Jump; Zipline Tour; Skydive; Canyoning Day; Kayak Expedition; Paragliding Break; Climbing Camp; Dune Bashing; Cave Dive
    adrenaline junkies; rafting, climbing and jumping; pushing your limits outdoors; thrill seekers
"""
TRIP_CATEGORIES: dict[str, CategoryWords] = _read_vocabulary(_TRIP_VOCABULARY)
# Three destinations per kind of trip, in the order of `TRIP_CATEGORIES`; some countries serve two kinds.
TRIP_DESTINATIONS: dict[str, tuple[str, ...]] = dict(zip(TRIP_CATEGORIES, (
    ("Greece", "Thailand", "Mexico"), ("Italy", "France", "Japan"), ("Switzerland", "Austria", "Canada"),
    ("Kenya", "Tanzania", "South Africa"), ("Norway", "Greece", "Croatia"), ("Peru", "Nepal", "Scotland"),
    ("Spain", "USA", "Denmark"), ("Iceland", "Indonesia", "Hungary"), ("Egypt", "Italy", "Cambodia"),
    ("New Zealand", "Costa Rica", "Norway"),
), strict=True))


@dataclass(frozen=True)
class Vocabulary:
    """One kind of catalog: its categories' words, what it calls an item, and an optional second field a request
    may name (its name and, per category, the values its items draw from)."""

    categories: dict[str, CategoryWords]
    noun: str
    second: tuple[str, dict[str, tuple[str, ...]]] | None = None


# Per kind of catalog (`ProductConfig.kind`).
VOCABULARIES: dict[str, Vocabulary] = {
    "shop": Vocabulary(PRODUCT_CATEGORIES, "product"),
    "music": Vocabulary(MUSIC_CATEGORIES, "album"),
    "books": Vocabulary(BOOK_CATEGORIES, "book", ("author", BOOK_AUTHORS)),
    "trips": Vocabulary(TRIP_CATEGORIES, "trip", ("destination", TRIP_DESTINATIONS)),
}
