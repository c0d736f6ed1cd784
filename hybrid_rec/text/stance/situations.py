"""Grammar material: needs told as the situation they come from, per category of `lexicon.LEXICON` (`SITUATIONS`).

"i got soaked walking to work again" names neither umbrellas nor anything else a shop sells, and sounds like a
complaint; it is a wish for what would help. Written for the grammar by a helper session that read none of the
reader's code nor the held-out request sets (2026-12-07): five per category (two told as a problem in negative
words, one occasion, one mood or goal, one about someone else), none using the category's name or its words.
"""

from __future__ import annotations

__all__ = ["SITUATIONS"]

# kind of catalog, then indented "Category:" lines, each followed by its situations (one per line, indented twice)
_TEXT = """
films
    Horror:
        bored of cosy evenings, nothing has made me sleep with the lights on in years
        sick of tame plots, i long to hide behind a cushion shrieking at the screen
        hosting a halloween sleepover and the teens insist on being terrified
        craving a proper fright with masked killers, blood and creaking doors
        my brother swears nothing makes him jump, time to prove him wrong
    Comedy:
        work was a disaster today, cheer me up with something daft and witty
        been miserable all week and nothing has made me crack a smile
        girls' night in on friday and we plan to giggle till we cry
        in the mood for something light and silly that has me in stitches
        grandma's feeling down after her operation and could use a good chuckle
    Romance:
        valentine's day alone again, craving a swoony couple finding each other on screen
        haven't felt butterflies in years and it's driving me mad
        anniversary night in with my partner, candles lit and wine poured
        feeling sentimental and keen to swoon over two people falling for each other
        my sister just got dumped and longs to believe in happily ever after
    Western:
        can't find anything with horses, saloons and a sheriff on the frontier
        tired of superheroes, i miss stetsons, spurs and showdowns at high noon
        just back from a road trip through arizona and craving more desert outlaws
        in the mood for lone riders, bounty hunters and duels at sundown
        grandpa grumbles there are no sheriffs and outlaws on screen these days
    Documentary:
        can't stand made-up plots anymore, only real events and real people interest me
        so annoyed that i know nothing about how the pyramids were built
        history exam next week and the textbook is putting me to sleep
        curious tonight about how creatures survive at the bottom of the ocean
        my nephew won't stop asking how the moon landings were really done
    Animation:
        rainy afternoon, toddlers bouncing off the walls and nothing with talking animals on
        sick of live action, i miss hand-drawn worlds and colourful characters
        family night in with a four year old who adores talking toys
        feeling nostalgic for the studio ghibli magic of my childhood
        my niece is sulking and only pixar-style heroes cheer her up
    War:
        can't stop thinking about great-grandad's time in the trenches at the somme
        bored of cosy dramas, craving platoons, tanks and soldiers storming a beach
        remembrance sunday this weekend and we're staying in together
        in the mood for heroic last stands, bombers and brothers in arms
        dad hates anything new except stories about d-day and the blitz
    Musical:
        grey week, feeling flat, and nothing has made me hum along in ages
        had enough of brooding plots, i miss characters breaking into big choreographed numbers
        hen night in with the girls and we plan to sing along loudly
        in the mood for show tunes, jazz hands and sparkly costumes
        my daughter can't stop belting out broadway tunes around the house
    Thriller:
        everything i watch is so predictable, i miss being kept guessing till the end
        bored of slow plots, i miss edge-of-the-seat twists and cat and mouse chases
        long flight tomorrow and i'd like twists that keep me gripped the whole way
        craving mind games, double crosses and a twist nobody sees coming
        my husband always guesses the ending, i'd love to finally stump him
    Science Fiction:
        sick of earthbound plots, i long for robots, lasers and distant galaxies
        can't stop wondering what life will look like in the year 3000
        geek night with friends tomorrow, everyone dressed as starship captains
        in the mood for time travel paradoxes and rogue androids
        my son won't stop talking about martians, warp drives and laser blasters
music
    Jazz:
        sunday mornings feel so empty without a muted trumpet and brushed drums
        so over pop choruses, craving improvised sax solos and walking bass lines
        hosting a cocktail evening and picturing a dim new orleans speakeasy
        feeling mellow tonight, imagining a smoky late-night lounge with a piano trio
        grandad keeps humming louis armstrong and ella fitzgerald tunes
    Reggae:
        this grey drizzle is a disaster, i miss kingston sunshine vibes
        sick of frantic beats, craving laid-back offbeat rhythms and island basslines
        beach party on saturday and the playlist has to feel jamaican
        longing for chilled positive vibes and rasta wisdom, one love
        my flatmate won't shut up about bob marley and jimmy cliff
    Opera:
        fed up with mumbled lyrics, i crave soaring sopranos and full orchestras
        can't believe i've never properly heard la traviata or the magic flute
        first night at covent garden next month and i'd like to prepare
        feeling dramatic, i long for tenors belting tragic italian love duets
        grandma weeps every time pavarotti hits that high note in nessun dorma
    Punk:
        sick of polished pop, craving three chords, safety pins and pure rage
        the boss is driving me mad, craving two-minute shouty anthems about smashing the system
        dyeing my hair green and spiking it for saturday's gig in a basement
        feeling rebellious, craving fast, loud, snotty anti-establishment anthems
        dad keeps going on about the sex pistols and the clash
    Gospel:
        sunday mornings feel flat without voices praising the lord in harmony
        grief has been unbearable lately and i long for uplifting songs of faith
        easter sunday lunch with the family, and we adore hallelujah harmonies
        hoping to feel lifted up by soaring voices singing praise to heaven
        grandma misses singing hymns with her congregation since she moved
    Techno:
        my running playlist is dull, nothing with a pounding four-on-the-floor beat
        tired of lyrics, craving hypnotic synths and relentless bass drops
        off to berlin for an all-night rave next weekend and warming up beforehand
        longing to lose myself on a dark dancefloor at 4am
        my brother djs in ibiza and i'd like to understand his sets
    Country:
        long drive through texas, the radio's dead and i miss fiddles and twang
        heartbroken and sick of upbeat pop, craving pickup trucks and whiskey laments
        line dancing night at the barn this saturday
        homesick for nashville and those tearjerking steel guitar ballads
        my uncle won't listen to anything but dolly parton and johnny cash
    Soul:
        sick of autotune, i miss raw heartfelt voices like aretha's
        sunday cleaning is a chore without some sixties detroit grooves
        first slow dance at our wedding and picturing a velvety sixties ballad
        craving marvin gaye and silky vocals dripping with feeling
        mum still sings otis redding and stevie wonder in the kitchen
    K-Pop:
        had enough of western charts, craving glossy seoul boy bands with perfect choreography
        can't keep up with lunchtime chat, everyone stans bts and stray kids
        trip to seoul next spring and i'd like to learn the hits first
        bright catchy hooks and synchronised moves would really lift my mood
        my niece is obsessed with blackpink and learns every routine
    Heavy Metal:
        sick of soft ballads, craving shredding guitar solos and double bass drums
        gym playlist is far too gentle, nothing with screaming riffs to headbang to
        off to download festival in june with my leather jacket and long hair
        furious today and craving distorted riffs at deafening volume
        teenage son wears iron maiden shirts and plays air guitar constantly
books
    Horror Fiction:
        so over cosy reads, craving chapters too frightening to finish after dark
        nothing frightens me anymore and i miss the creeping dread stephen king gave me
        halloween reading marathon by candlelight this weekend
        in the mood for chills, creaking floorboards and monsters under the bed
        my daughter outgrew goosebumps and now craves something truly chilling
    Crime:
        sick of flimsy plots, craving clues, red herrings and a killer unmasked
        can't sleep until i've worked out which suspect poisoned the butler
        beach holiday next week and i'd love an agatha christie style page-turner
        in the mood for inspectors, alibis and cold case files
        grandpa has read every sherlock holmes and is desperate for more sleuths
    Travel Writing:
        stuck at home with a broken leg and dreaming of far-off places
        hate that i've never left my hometown, i crave tales of distant journeys
        heading to patagonia in spring and keen to read explorers' accounts first
        wanderlust is hitting hard and i'd like to roam the silk road from my armchair
        dad retired and won't stop talking about backpacking across india someday
    Poetry:
        can't find words for my grief and long for lines that say it for me
        fed up with long plots, craving rhymes and stanzas i can savour slowly
        reading something at my friend's wedding and nothing i write sounds right
        feeling wistful tonight, hoping for something lyrical to read by the fire
        mum adores emily dickinson and keats, her birthday is next week
    Graphic Novels:
        dense walls of text put me off, i read better with pictures
        can't focus on long paragraphs, illustrated panels are the only way i read
        cosplay convention next month and i'd like to catch up on superhero sagas
        craving bold ink artwork and japanese-style illustrated adventures
        my son hates plain pages but devours anything with speech bubbles
    Self-Improvement:
        keep procrastinating and never finish anything i start
        sick of feeling stuck in a rut with zero confidence
        new year's resolutions time and this year i'm determined to change my habits
        hoping to become the best version of me and build real discipline
        my flatmate is burnt out and trying to get his life back on track
    Philosophy:
        can't stop asking what the meaning of life actually is
        lying awake wondering whether free will even exists is driving me mad
        starting university next month and curious about plato and kant
        in a contemplative mood, pondering virtue, truth and what makes a good life
        my son keeps asking why we're here and i have no good answers
    Young Adult:
        tired of heavy grown-up plots, i miss coming-of-age tales about first crushes
        can't find anything about high school drama and first kisses that isn't dull
        birthday coming up for a year nine girl who loved the hunger games
        nostalgic for school days, dystopian rebels and awkward prom nights
        my year ten daughter hates reading and shuts down at anything childish
    Cookery:
        every dinner i make is a disaster and tastes of nothing
        sick of cooking the same three meals every week
        moving into my first flat and can barely boil an egg
        hoping to master homemade bread and proper thai dishes this year
        my husband longs to make grandma's lasagne from scratch
    Memoir:
        had enough of made-up plots, i'd rather read how real people lived
        nothing inspires me lately, i miss hearing from someone who overcame real hardship
        father's day soon and dad is fascinated by how churchill lived
        curious about the real lives of rock stars told in their own words
        grandma adores hearing first-hand how the queen and michelle obama grew up
shop
    Electronics:
        battery dies by lunchtime every day and it's driving me mad
        the screen cracked and the keyboard won't type the letter e anymore
        starting university in september with nothing to write essays or stream on
        craving crisp 4k streaming and a proper surround sound setup
        grandma hopes to video call the grandkids but has nothing to do it with
    Furniture:
        we've been eating dinner off our knees for months and it's a disaster
        nowhere to sit when guests come and my back aches from the floor
        moving into an empty flat next week with not a single chair
        hoping my living room will finally feel cosy and grown-up
        my son's clothes are piled on the floor because there's nowhere to hang them
    Jewellery:
        outfit looks so plain and bare around the neck and wrists
        ears were pierced last week and there's nothing sparkly to put in them
        proposing to my girlfriend next month in paris
        longing to feel glamorous in gold and diamonds
        wife's fortieth is next week and she adores pearls and silver
    Sports Gear:
        knees ache after every jog in these worn-out trainers
        the kids are bored in the park with nothing to kick around
        signed up for my first triathlon in june
        determined to finally get fit and train properly this year
        son made the school team and turned up without shin pads
    Cleaning:
        the kitchen floor is sticky and the bathroom is a disaster
        sick of dog hair covering every inch of the house
        moving out and the landlord inspects the flat on friday
        longing for a sparkling, fresh-smelling home before spring
        flatmate spilled red wine everywhere and the stain won't budge
    Tools:
        can't put a shelf up with a butter knife, it's a disaster
        wobbly chair legs and a leaky tap, and nothing to fix them with
        first house renovation starts next month
        keen to get into woodworking and make my own shed
        dad's retiring and loves tinkering with diy projects in the garage
    Stationery:
        lecture notes are scribbled on receipts and scraps of paper everywhere
        never anything to scribble with when someone gives me a number
        back to school next week and there's nothing to write or doodle with
        hoping to start bullet journaling and hand-lettering this year
        grandma writes letters every week to old friends abroad
    Beauty:
        skin looks dull and tired and nothing hides these dark circles
        face looks washed out in every photo and it's getting me down
        wedding guest next weekend and going for a glam evening look
        fancy feeling pampered and glowing tonight
        teenage daughter is eager to experiment with eyeshadow and blush
    Pets:
        the puppy chewed my slippers again because he's bored
        kitten keeps having accidents on the kitchen floor
        bringing home a rescue greyhound next weekend
        hoping my goldfish can have a bigger, cleaner home
        my son's new hamster has nowhere to live yet
    Outdoor:
        last weekend in the lake district ended in a leaky shelter at 3am
        froze all night on a mountainside and the rucksack strap snapped
        duke of edinburgh expedition next month, three nights in the wild
        dreaming of sleeping under the stars in the highlands this summer
        my daughter's scout troop is heading to the woods for a weekend
food
    Italian:
        disaster of a day and only a gooey margherita will fix it
        so over bland takeaway, i miss proper carbonara like in rome
        first date friday and picturing candlelight, chianti and tiramisu
        craving nonna-style cooking with lots of parmesan and basil
        the kids won't eat anything unless it's smothered in tomato sauce and mozzarella
    Sushi:
        sick of greasy takeaway, craving raw salmon and a dab of wasabi
        can't stop thinking about the nigiri i had in tokyo
        celebrating a promotion tonight with chopsticks, soy and sake
        fancy something light, clean and rolled in seaweed
        flatmate hates anything cooked but adores raw tuna over rice
    Vegan:
        just went dairy and meat free and every menu is a nightmare
        nothing on this menu comes without cheese, cream or butter
        starting a no-animal-products challenge this january
        hoping to eat kinder to animals and the planet
        my girlfriend won't eat anything that comes from an animal
    Seafood:
        stuck inland for months and dreaming of salty fresh-caught scallops and clams
        fed up with red meat every night, craving mussels in garlic butter
        anniversary dinner by the harbour, picturing lobster and champagne
        fancy something from the ocean tonight, lemony and light
        dad lives for crab claws and calamari
    Desserts:
        hideous day and my sweet tooth is unbearable
        dinner was lovely but nothing sweet to finish it off
        birthday tonight and there'll be candles to blow out
        time to treat myself to something sugary and indulgent
        the kids ate all their veg and were promised a sweet treat
    Spicy:
        everything i eat tastes bland and i miss a fiery kick
        sick of mild food, i'd like my tongue to burn
        vindaloo challenge night with the lads on friday
        blocked nose and a cold, craving something that clears my sinuses with heat
        my husband drowns everything in sriracha and still says it's too mild
    Barbecue:
        tired of boiled dinners, craving smoky pulled pork and charred burnt ends
        summer's nearly over and we haven't had a single smoky cookout
        fourth of july party with the neighbours in the back yard
        fancy something slow-smoked and sticky with sauce
        my brother dreams of being a texas pitmaster
    Salads:
        feeling sluggish and bloated after a week of takeaways, craving something crunchy and fresh
        sick of stodgy lunches making me sleepy at my desk
        summer picnic in the park, hoping for something fresh and crisp
        craving crunchy lettuce, cucumber and a zingy dressing
        mum's on a diet and fancies something leafy and light
    Fast Food:
        hungover and can't be bothered to cook, just give me something greasy
        stuck in traffic and starving, a drive-through would save my life
        kids' party and they all want happy meals
        late night after the pub, craving nuggets and a milkshake
        my son could demolish a double whopper and onion rings
    Breakfast:
        overslept and my stomach's rumbling before the 9am meeting
        woke up starving and there's nothing in the fridge but milk
        mother's day morning and hoping to treat mum before noon
        dreaming of a lazy sunday morning with coffee, croissants and toast
        dad always insists on a full english before the match
clothing
    Dresses:
        nothing floaty to wear to the summer garden party on saturday
        hate that i never have anything twirly and feminine in the wardrobe
        bridesmaid at my sister's wedding in june and hoping for something in sage silk
        longing to feel elegant in something floor-length that swishes
        my daughter's prom is next month and she dreams of looking like a princess
    Shoes:
        feet are soaking because the sole has split right open
        blisters every time i walk to work and my toes are pinched
        wedding on saturday and nothing on my feet matches the outfit
        craving comfy laces and cushioned soles for exploring the city all day
        my toddler's feet have grown two sizes since spring
    Outerwear:
        freezing and soaked at the bus stop every morning
        got drenched walking home again and i'm shivering
        trip to iceland in february and i'll be outdoors all day
        hoping to stay warm and dry on winter dog walks
        son keeps coming home from school frozen and wet
    Sportswear:
        sweating through cotton t-shirts during every workout is so gross
        jogging bottoms keep falling down when i run
        starting yoga classes next week and have nothing stretchy to wear
        longing to feel confident and comfy while exercising
        husband just joined a running club and only owns work trousers
    Formal Wear:
        job interview tomorrow and all i own are hoodies
        looking scruffy in meetings and clients have started to notice
        gala dinner next month with a strict dress code and nothing smart to wear
        keen to look sharp and polished for once
        son's graduation ceremony is coming up and he's only got trackies
    Knitwear:
        shivering at my desk all day with the office air con blasting
        the heating is broken and the house is freezing indoors
        christmas party at work and the theme is festive and woolly
        longing to feel snug and cosy by the fire
        grandad feels the chill in the evenings and loves chunky wool
    Swimwear:
        holiday in a week and nothing to wear at the pool
        the chlorine turned my old costume see-through
        honeymoon in the maldives next month
        hoping to feel confident on the sand this summer
        son starts lessons at the leisure centre pool on monday
    Accessories:
        squinting in the glare every time i drive
        trousers keep slipping down my hips and it's driving me mad
        ascot races next month and the outfit lacks a crowning touch
        looking for a finishing touch to liven up a plain outfit
        mum's neck gets chilly on windy winter walks
    Underwear:
        every pair in my drawer has holes and the elastic's gone
        cold feet in bed every single night
        valentine's night and hoping for something lacy and special
        craving comfy basics that don't dig in or ride up
        sleepover next week and my son has nothing to sleep in
    Denim:
        ripped my favourite blue five-pocket pair and they're beyond repair
        had enough of chinos, craving rugged indigo with a good fade
        festival this summer and picturing frayed cut-off shorts
        longing for a relaxed nineties look with a blue trucker collar
        teen daughter keeps borrowing my levi's
activities
    Hiking:
        stuck at a desk all week and my legs are craving fresh air
        sick of city pavements, longing for muddy boots and open fells
        long weekend in the peak district coming up
        longing to reach a summit and drink in the view
        dad loves long rambles with a map and walking poles
    Skiing:
        winters here are grey and slushy, never any proper powder
        so over lying by a pool, dreaming of fresh snow and chairlifts
        half term in the alps with the kids
        longing to carve down a black run
        my son keeps begging to learn on the slopes
    Museums:
        rainy day in london and bored silly, craving ancient relics and old masters
        so embarrassed i know nothing about ancient egypt or the renaissance
        school trip next week and the class is studying the romans
        hoping to see mummies and towering dinosaur skeletons
        my daughter adores van gogh and monet paintings
    Nightlife:
        every weekend i'm stuck in watching telly and never go out dancing
        sick of early nights, longing for cocktails and a packed dancefloor
        hen do in town on saturday and the night has to last till 3am
        in the mood to dance till sunrise with friends
        flatmate just turned eighteen and is dying for a big night out
    Beaches:
        miserable grey winter and i'm pale as a ghost
        fed up with cities, longing for sand between my toes
        summer holiday with the kids and they're set on sandcastles
        hoping to doze by the water listening to waves lap the shore
        grandma has never dipped her toes in the sea
    Cycling:
        stuck in traffic jams every commute and it's driving me mad
        knees can't take running anymore but two wheels might work
        charity ride from london to brighton in june
        longing to feel the wind, pedalling through country lanes
        son just learned to balance without stabilisers
    Cooking Classes:
        hopeless in the kitchen and burnt everything again
        can't make fresh pasta from scratch no matter how many videos i watch
        hen party activity for ten that's hands-on and foodie
        hoping to learn to roll sushi alongside a real chef
        partner longs to master knife skills with expert guidance
    Theatre:
        sick of screens, craving live actors on a stage
        never been to the west end and it's embarrassing
        anniversary weekend in london with a matinee in mind
        longing to see shakespeare performed live
        daughter adores the nutcracker at christmas
    Spa:
        shoulders are in knots from stress and nothing helps
        burnt out and exhausted, i'm desperate to be pampered
        mum's sixtieth and planning a day in fluffy robes together
        longing to unwind in a hot tub and steam room
        sister is a frazzled new mum who hasn't relaxed in months
    Theme Parks:
        the kids are bored silly all summer holidays
        tired of calm days out, craving adrenaline and upside-down loops
        son's tenth birthday and he's mad about big rides
        hoping to scream my head off on a vertical drop
        nephew is obsessed with mickey mouse and log flumes
games
    Shooters:
        sick of slow turn-based stuff, craving run-and-gun action
        our squad keeps losing deathmatches and my aim is hopeless
        lan night with the lads on friday, headsets and energy drinks
        craving adrenaline, headshots and frantic firefights
        son is obsessed with call of duty and counter-strike
    Puzzle Games:
        brain feels foggy lately and i'd like to keep my mind sharp
        boring commute and nothing to occupy my brain, craving number grids and word hunts
        just retired and looking for daily mental workouts
        in the mood for something to solve, tetris style
        grandma's worried about her memory and loves logic problems
    Strategy:
        had enough of button mashing, longing to plan several moves ahead
        my friend always outthinks me and it's driving me mad
        long snowy weekend ahead with hours to sink into empire building
        craving to command armies and outwit rival generals
        dad has played civilization for twenty years
    Racing Games:
        never get to go fast on real roads and it's frustrating
        new steering wheel controller is gathering dust
        formula one weekend and i'm buzzing for speed
        craving drifting round hairpins at 200 miles an hour
        my son loves fast motors and beating lap times
    Role-Playing:
        sick of short games, craving a hundred hours of story
        nothing lets me level up a character and i miss it
        long summer holiday and hours to lose in another world
        in the mood for dragons, elves and skill trees
        flatmate has sunk a thousand hours into skyrim
    Sports Games:
        knee injury means i can't play real matches anymore
        my team lost again and i reckon i'd manage them better
        world cup fever is here and the lads are coming round
        dreaming of scoring a last-minute winner in a packed stadium
        son plays fifa every night after school
    Horror Games:
        nothing makes my heart race anymore, not even dark corridors
        bored of cute games, craving monsters lurking in the shadows
        streaming on halloween night and hoping viewers end up screaming
        craving creepy abandoned asylums with something hunting me
        my brother claims nothing frightens him, let's test that
    Party Games:
        friends coming over and everyone sits around awkwardly
        christmas family gatherings are so boring after dinner
        new year's eve with twelve friends squeezed into the lounge
        hoping to get everyone laughing and shouting answers round the coffee table
        the cousins visit sunday and all ages have to join in
    Platformers:
        i miss the classic mario days of hopping on goombas
        so over sprawling open worlds, craving tight levels and precise leaps
        just got a retro console for my birthday
        in the mood to bounce over pits and grab coins
        son loves sonic and crash bandicoot
    Simulation:
        can't afford pilot lessons and it's always been my dream
        life is stressful and i crave peacefully tending crops
        retiring from trucking but still dreaming of long hauls across europe
        in the mood to run a virtual household and design dream homes
        mum is addicted to stardew valley
tv
    Reality TV:
        brain is fried after work and nothing mindless is on
        sick of serious drama, craving gossip and villa bust-ups
        new season of love island starts tonight
        in the mood for juicy feuds, eliminations and confessionals
        flatmate is obsessed with big brother
    Soap Operas:
        teatime feels empty without following the same families' ups and downs
        retired and the afternoons are empty and lonely
        christmas day episode is always a huge event in our house
        craving affairs, feuds and cliffhangers on the square
        nan never misses an episode of eastenders or corrie
    True Crime:
        can't stop thinking about unsolved cases and missing persons
        fed up with made-up plots, craving real cold cases and courtroom evidence
        new series on the zodiac killer drops tonight
        in the mood to play armchair detective
        wife is obsessed with serial killer cases
    Cooking Shows:
        can never decide what to make for dinner and it's driving me mad
        my kitchen skills are a disaster and i learn best by watching
        a new series of saturday kitchen starts this weekend
        craving to watch souffles rise under pressure with a ticking clock
        mum loves mary berry and paul hollywood
    Sitcoms:
        long day and all i fancy is silly half-hour episodes
        miserable today and nothing cheers me up except daft banter
        snowed in this weekend and planning a binge of short silly episodes
        in the mood for quotable one-liners and awkward misunderstandings
        dad quotes only fools and horses constantly
    Period Dramas:
        sick of modern drama, i miss bonnets and ballrooms
        since downton ended, sunday nights have felt so empty
        cosy sunday evening in with tea and a regency binge planned
        craving corsets, candlelit carriages and scandal at court
        mum adores bridgerton and jane austen adaptations
    Kids Shows:
        toddler won't settle while i make dinner
        rainy morning and the little ones are climbing the walls
        half term starting, working from home, and the little ones need entertaining
        hoping for gentle, educational episodes for a four year old
        grandson loves peppa pig and bluey
    News:
        i have no idea what's happening in the world
        colleagues discuss the election and i'm completely lost
        election night is tomorrow and the polls close at ten
        keen to stay informed about events at home and abroad
        dad shouts at the headlines every evening
    Nature:
        stuck in the city and never see anything green or alive
        tired of drama, craving penguins and lions on screen
        a new attenborough series starts on sunday
        in the mood for coral reefs and migrating herds
        son is obsessed with sharks and crocodiles
    Sport:
        missed the game last night and i'm gutted
        pub is closed and the derby kicks off at three
        world cup final on sunday and friends are coming over
        longing to cheer on my team from the sofa
        husband can't miss a single point of wimbledon
home
    Kitchenware:
        everything sticks to the bottom and burns, and the handles wobble
        can't slice a tomato cleanly with anything in the drawer
        moving into my first flat with a completely empty kitchen
        hoping to cook like a pro at home with proper kit
        flatmate keeps borrowing my forks and never washes them
    Bedding:
        neck aches every morning when i wake up and it's awful
        freezing at night under a thin cover that barely reaches my feet
        guest room to make up for visitors arriving on friday
        craving a hotel-like bed that's crisp and cloud-soft
        son is moving into halls in september and has a bare mattress
    Lighting:
        room is so gloomy in the evenings i can't read
        harsh overhead glare gives me a headache every night
        dinner party on saturday and the dining room is lit like an operating theatre
        longing for a warm glow at the flick of a switch
        grandma keeps tripping in the dark hallway at night
    Rugs:
        bare floorboards are freezing underfoot every morning
        muddy footprints right inside the front door drive me mad
        new living room with echoing wooden floors
        longing for something soft and patterned to sink my toes into
        neighbours downstairs keep complaining about our footsteps
    Plants:
        flat feels lifeless with nothing green anywhere
        office desk is grey and dull, nothing leafy to water or look at
        housewarming gift for a friend who loves greenery
        dreaming of turning the flat into an urban jungle
        mum loves orchids and anything that blooms
    Candles:
        flat smells of damp and dog and guests arrive tonight, craving a fragrant glow
        soaking in the tub feels dull without a flickering flame nearby
        romantic dinner at home on friday with the main lights off
        craving a flickering glow and vanilla aroma
        best friend adores lavender and cosy nights in
    Storage:
        clutter everywhere and nowhere to put anything
        toys all over the floor and it's a disaster
        moving house and there's nothing to pack our things into
        dreaming of a tidy minimalist home where everything has its place
        son's room is a tip with stuff everywhere
    Garden:
        grass is knee-high and the neighbours are giving looks
        the veg patch is parched and i hate lugging watering cans
        summer party outside on saturday with nowhere to sit
        dreaming of sitting outside with a drink on a sunny evening
        dad loves pottering about his allotment
    Decor:
        walls are bare and bland and the room feels soulless
        hallway feels gloomy and i can never check my hair before leaving
        new flat has white walls and not a single thing hanging on them
        hoping the living room shows off our style and personality
        wedding photos are still sitting in a drawer gathering dust
    Bathroom:
        floor is a slippery puddle every time i step out of the tub
        drying myself on scratchy threadbare rags every morning
        guests staying this weekend and the en-suite looks shabby
        dreaming of a hotel-like spa vibe after a long soak
        toddler keeps slipping on the wet tiles after her splash time
kids
    Dolls:
        rainy day and my girl has nobody to dress up and have tea parties with
        the dog chewed the head off her little pretend princess and she's devastated
        fifth birthday coming and she loves pretend families and fashion outfits
        hoping to encourage caring, imaginative games of mummies and daddies
        niece loves brushing hair and changing outfits on tiny figures
    Lego:
        son is bored stiff and has nothing to click together
        rainy weekend, kids bickering, and nothing creative to put together
        birthday for a ten year old who's mad on star wars models
        hoping for a creative project with thousands of tiny pieces to assemble
        husband loves assembling detailed models from instruction booklets
    Plush Toys:
        toddler can't sleep without something to cuddle and keeps crying
        son lost his favourite cuddly rabbit on the bus and is heartbroken
        newborn's welcome gift, something fluffy to sit in the cot
        hoping to give something squishy and huggable to cheer her up
        grandma collects plump bears with button eyes
    Baby Gear:
        back aches from carrying him everywhere on my hip
        run out of changing supplies at 3am and he's soaked
        due in march and nothing at all is ready for the newborn
        hoping for smooth easy walks around the park with the little one
        sister just had twins and is completely overwhelmed
    Science Kits:
        son keeps mixing vinegar and bicarbonate on the counter and it's chaos
        homeschooling is a disaster and she's bored of worksheets
        birthday for a budding inventor who loves experiments
        hoping to spark curiosity about stars, magnets and crystals
        niece dreams of being a lab researcher like her mum
    Ride-ons:
        little legs get tired on the walk to nursery and he begs to be carried
        the school run takes forever, he dawdles, and wheels would speed him up
        third birthday coming up and he's desperate for wheels to whizz about on
        hoping she can whizz along the promenade with the big kids
        grandson watches older kids kick-push along the pavement and longs for a go
    Arts and Crafts:
        kids are bored indoors and the walls are covered in felt tip
        rainy half term and nothing to keep little hands busy
        birthday for a five year old who loves glitter and glue
        hoping to encourage creativity with paint, paper and scissors
        daughter loves drawing on anything she can find, even the sofa
    Outdoor Play:
        kids are bouncing off the sofa all day and driving me mad
        the back lawn sits empty while the kids are glued to screens
        heatwave coming and the kids are desperate to splash about in the yard
        hoping they'll burn off energy in the fresh air
        son begs to go higher and higher at the park
    Toy Vehicles:
        son is bored and keeps zooming around making engine noises
        nothing to push along the floor and he's cranky
        third birthday for a little lad obsessed with diggers and fire engines
        hoping for tracks, tunnels and choo-choo fun on the living room floor
        grandad loves zipping little racers around with a handset
    Puzzles:
        long winter evenings and nothing to piece together as a family
        toddler gets frustrated and can't fit the star into the right hole
        christmas afternoon with the family round the table and a thousand pieces
        hoping to keep her mind busy fitting pieces together quietly
        grandma loves spending afternoons on a big landscape scene piece by piece
"""


def _read(text: str) -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, list[str]]] = {}
    kind = name = ""
    for line in text.strip().splitlines():
        if not line.startswith(" "):
            kind = line.strip()
            out[kind] = {}
        elif line.startswith("        "):
            out[kind][name].append(line.strip())
        else:
            name = line.strip().removesuffix(":")
            out[kind][name] = []
    return {k: {c: tuple(s) for c, s in cats.items()} for k, cats in out.items()}


SITUATIONS: dict[str, dict[str, tuple[str, ...]]] = _read(_TEXT)
