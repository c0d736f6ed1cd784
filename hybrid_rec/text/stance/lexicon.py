"""Grammar material: kinds of catalog, their categories, and words people use for each (`LEXICON`).

Generic on purpose: the stance model learns how a wish, a rejection or a neutral remark is *said*
about a thing, over many things from many kinds of catalog, so that it reads the forms and not the
values of one catalog. Each category is a name and the words a request may use for it (synonyms,
kinds of item); categories of one kind are one another's near misses ("horror" is not "mystery").
"""

from __future__ import annotations

__all__ = ["LEXICON", "Category"]

# kind of catalog, then indented "Category name: word; word; ..." lines
_TEXT = """
films
    Horror: horror; horror films; scary movies; slashers; ghost stories; zombie films
    Comedy: comedy; comedies; funny films; sitcom-style laughs; slapstick
    Romance: romance; romantic films; love stories; romcoms
    Western: westerns; cowboy films; gunslingers; the wild west
    Documentary: documentaries; true stories on film; nature documentaries
    Animation: animation; cartoons; animated films; anime
    War: war films; battle epics; war movies
    Musical: musicals; song-and-dance films; movie musicals
    Thriller: thrillers; suspense films; psychological thrillers
    Science Fiction: sci-fi; science fiction; space operas; alien invasion films
music
    Jazz: jazz; bebop; swing; jazz standards
    Reggae: reggae; dub; ska
    Opera: opera; arias; operatic singing
    Punk: punk; punk rock; hardcore punk
    Gospel: gospel; church choirs; spirituals
    Techno: techno; house music; EDM; club bangers
    Country: country music; bluegrass; honky-tonk; cowboy songs
    Soul: soul; R&B; motown; funk
    K-Pop: k-pop; korean pop; idol groups
    Heavy Metal: heavy metal; metal; thrash; death metal
books
    Horror Fiction: horror novels; vampire stories; haunted house books
    Crime: crime novels; detective stories; whodunnits; police procedurals
    Travel Writing: travel books; travelogues; guidebooks
    Poetry: poetry; poems; verse; sonnets
    Graphic Novels: graphic novels; comics; manga
    Self-Improvement: self-help books; motivational books; productivity guides
    Philosophy: philosophy; ethics; existentialism
    Young Adult: young adult novels; teen fiction; YA
    Cookery: cookbooks; recipe books; baking books
    Memoir: memoirs; biographies; autobiographies
shop
    Electronics: electronics; gadgets; phones; laptops; chargers
    Furniture: furniture; sofas; tables; bookshelves; wardrobes
    Jewellery: jewellery; necklaces; earrings; rings; bracelets
    Sports Gear: sports equipment; footballs; tennis rackets; bikes; running shoes
    Cleaning: cleaning supplies; mops; detergents; vacuum cleaners
    Tools: tools; power drills; screwdrivers; hammers; toolboxes
    Stationery: stationery; pens; notebooks; envelopes; sticky notes
    Beauty: makeup; lipstick; perfume; nail polish; cosmetics
    Pets: pet food; dog toys; cat litter; fish tanks; bird cages
    Outdoor: hiking gear; tents; sleeping bags; backpacks; camping stoves
food
    Italian: italian food; pizza; pasta; risotto
    Sushi: sushi; sashimi; japanese food; ramen
    Vegan: vegan food; plant-based dishes; tofu
    Seafood: seafood; fish dishes; oysters; prawns
    Desserts: desserts; cakes; ice cream; pastries; chocolate
    Spicy: spicy food; hot curries; chilli; hot sauce
    Barbecue: barbecue; grilled meat; ribs; brisket
    Salads: salads; healthy bowls; greens
    Fast Food: fast food; burgers; fries; fried chicken
    Breakfast: breakfast; pancakes; brunch; eggs and bacon
clothing
    Dresses: dresses; gowns; sundresses
    Shoes: shoes; sneakers; boots; heels; sandals
    Outerwear: coats; jackets; parkas; raincoats
    Sportswear: sportswear; leggings; gym clothes; tracksuits
    Formal Wear: suits; ties; formal wear; blazers
    Knitwear: sweaters; jumpers; cardigans; knitwear
    Swimwear: swimsuits; bikinis; swim trunks
    Accessories: hats; scarves; belts; handbags; sunglasses
    Underwear: underwear; socks; pyjamas; lingerie
    Denim: jeans; denim jackets; denim
activities
    Hiking: hiking; trekking; mountain walks; trails
    Skiing: skiing; snowboarding; ski trips
    Museums: museums; art galleries; exhibitions
    Nightlife: nightlife; clubbing; bars; pub crawls
    Beaches: beaches; sunbathing; seaside holidays
    Cycling: cycling; bike rides; mountain biking
    Cooking Classes: cooking classes; workshops; baking lessons
    Theatre: theatre; plays; the ballet; stand-up comedy shows
    Spa: spas; massages; wellness retreats; saunas
    Theme Parks: theme parks; roller coasters; water parks
games
    Shooters: shooters; first-person shooters; fps games
    Puzzle Games: puzzle games; brain teasers; crosswords; sudoku
    Strategy: strategy games; chess; war games; city builders
    Racing Games: racing games; car games; kart racers
    Role-Playing: rpgs; role-playing games; fantasy quests
    Sports Games: football games; sports sims; golf games
    Horror Games: horror games; survival horror; jump-scare games
    Party Games: party games; trivia games; board games
    Platformers: platformers; jump and run games; side-scrollers
    Simulation: farming sims; life sims; flight simulators
tv
    Reality TV: reality tv; reality shows; dating shows
    Soap Operas: soaps; soap operas; daytime dramas
    True Crime: true crime; crime documentaries; murder podcasts
    Cooking Shows: cooking shows; baking competitions; chef shows
    Sitcoms: sitcoms; sketch comedy; laugh-track shows
    Period Dramas: period dramas; costume dramas; historical series
    Kids Shows: kids shows; children's programmes; cartoons for kids
    News: the news; current affairs; politics shows
    Nature: nature shows; wildlife programmes; animal documentaries
    Sport: sport on tv; live football; match highlights
home
    Kitchenware: kitchenware; pots and pans; knives; cutlery
    Bedding: bedding; duvets; pillows; sheets
    Lighting: lamps; lighting; light bulbs; chandeliers
    Rugs: rugs; carpets; doormats
    Plants: house plants; succulents; flowers; cacti
    Candles: candles; scented candles; diffusers
    Storage: storage boxes; shelving; baskets; organisers
    Garden: garden furniture; barbecues; lawnmowers; hoses
    Decor: wall art; picture frames; mirrors; vases
    Bathroom: towels; bath mats; shower curtains
kids
    Dolls: dolls; doll houses; barbie
    Lego: lego; building bricks; construction sets
    Plush Toys: teddy bears; stuffed animals; soft toys
    Baby Gear: prams; strollers; baby bottles; nappies
    Science Kits: science kits; chemistry sets; telescopes
    Ride-ons: scooters; tricycles; balance bikes
    Arts and Crafts: crayons; colouring books; craft kits; play-doh
    Outdoor Play: trampolines; swings; paddling pools
    Toy Vehicles: toy cars; train sets; remote control cars
    Puzzles: jigsaws; puzzles; shape sorters
"""


def _read(text: str) -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    kind = ""
    for line in text.strip().splitlines():
        if not line.startswith(" "):
            kind = line.strip()
            out[kind] = {}
            continue
        name, words = line.strip().split(": ", 1)
        out[kind][name] = tuple(w.strip() for w in words.split(";"))
    return out


Category = tuple[str, tuple[str, ...]]
LEXICON: dict[str, dict[str, tuple[str, ...]]] = _read(_TEXT)
