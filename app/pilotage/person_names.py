"""First names and surnames (lowercase, without accents) of the French-speaking person lists of
Faker (providers person fr_FR, fr_CA, fr_CH, fr_QC; parts of three letters or more).

The search statistics drop such a word when it stands beside another name or an unknown word
(`app.pilotage.kept_words`): many are also ordinary words (« petit », « richard », « claire »).

Faker's licence, as its terms ask:

Copyright (c) 2012 Daniele Faraglia

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

from __future__ import annotations

_LIST = """
adam adelaide adele adrien adrienne aebi aeby agathe agnes aime aimee alain alber albert alex
alexandra alexandre alexandria alexandrie alexis alfred alice alicia alix allain allard alphonse
alves amelie ana anais anastasie andre andree anna anne anouk antoine antoinette antonio
archambault arnaud arnaude arsenault arthur asselin astrid aubert aubry audet audrey auger
auguste augustin aurelie aurore babey badan badel bahon bailly balmat barbe barbey barbier
barillon barman baron barre barthelemy baudry bavaud bazin beatrice beauchamp beaudoin beaudry
beaulieu beauregard becker bedard begin begue beguelin beguin beland belanger belisle benard
benjamin benoit berberat berger bergeron bernadette bernard bernasconi bernier berthelot bertin
bertrand berube besancon besencon besnard besse besson beuchat beuret beurret bigot bilodeau
bisson blais blanc blanchard blanchet blanchette blin blondel blot blouin bochud bodin boechat
boichat boillat boily boisvert boivin bolduc bonneau bonnet bonnin bonvin bonvini botteron
bouchard boucher bouchet boudreau boulanger boulay bourdon bourgeois bourquard bourquin bousquet
boutin bouvet bouvier bovet boyer brahier brandt brassard breton briand brigitte brisson broquet
brun bruneau brunel brunet bruno bugnon buisson bujard camille camus candaux capucine carlier
caroline caron carpentier carraud carraux carre carrier carron catherine cattin cecile celina
celine chabot champagne chantal chappuis chapuis charbonneau charest charette charles charlotte
charpentier charpie charrier charron chartier chartrand chatriand chatriant chaudet chauveau
chauvet chauvin chenaux chevalier chevalley chevallier chevrolet chloe chopard chouinard
chretien christelle christian christiane christine christophe claire clara claude claudine
clemence clement clerc cloutier cohen coigny colas colette colin collet collin comman comment
comte conrad constance corbat corboz cordier corinne cormier cornut cornuz corpataux cosandey
cosendey cossy costa coste cote coulombe coulon courtois courvoisier cousin couture couturier
cretton crevoisier crivelli croteau curdy cyr daigle dallaire daniel danielle dardel david
deladoey delahaye delannoy delattre delaunay deleze delisle delmas delorme demers denis denise
desbiens descamps deschamps deschenes descombes deshusses desjardins desrochers desrosiers
devaux diallo diane dias diaz didier diesbach dijoux dion dionne dominique dorothee dos doucet
drolet drouin droz dube dubey dubois duchesne dufour dufresne duguay duhamel dumas dumont dupont
dupre dupuis dupuy durand duroux duval duvanel edith edouard eleonore eliane elisa elisabeth
elise elodie emile emilie emma emmanuel emmanuelle emond eric ethan etienne eugene eva evequoz
evrard fabienne fabre faivre faure ferland fernandes fernandez ferrand ferreira fillion fischer
fleury florence florian fonjallaz fontaine forget fortier fortin foucher fouquet fournier
francillon franck francois francoise frechette frederic frederique gabriel gabrielle gagne
gagnon gaillard gall galland gallet garcia garnier gaudin gaudreault gauthier gautier gay
gelinas gendron genevieve georges georgette gerard germain germaine gervais giguere gilbert
gilles gillet gillieron gimenez gingras girard giraud giroux godard godet godin goff gomes gomez
goncalves gonzalez gosselin goulet grand gravel gregoire grenier grojean grondin gros grosjean
guay guberan guerin guibert guichard guilbert guillarmod guillaume guillemette guillet guillon
guillot guillou guy guyon guyot hamel hamon hardy harvey hebert helene henri henriette henry
hernandez herve hoarau hoareau honore hortense houde houle hubert huet hugo hugues humbert
imbert ines isaac isabelle isella jacob jacot jacqueline jacques jacquet jacquot jean jeanne
jeannine jerome jessica joly jomini jonathan jose joseph josephine josette josiane joubert
jourdan joye jules julie julien juliette julliard karine kevin klein labbe labelle labonte
labrecque lacasse lachance lachapelle lacombe lacroix laetitia laflamme lafontaine lagarde laine
laliberte lalonde lambert lamontagne lamoureux lamy landry langlois lapierre laplante lapointe
laporte lara lariviere laroche larocque larose larouche launay laura laure laurence laurent
laurie lauzon lavallee lavigne lavoie lea lebel leblanc lebon lebreton lebrun leclerc leclercq
lecomte leconte lecoq ledoux leduc lefebvre lefevre lefort legault legendre leger legrand legros
lejeune leleu lelievre lemaire lemaitre lemay lemieux lemire lemoine lemonnier lenoir leo leon
lepage leroux leroy lesage lessard letellier letourneau leveque levesque levy liliane lisa loic
loiseau lombard lopes lopez lorraine louis louise luc luca lucas luce lucie lucy lussier mace
madeleine maggie mahe maillard maillet maillot maire mallet maltais manon manuel marc marcel
marcelle marchal marchand marcotte marcoux marechal margaret margaud margaux margot marguerite
maria marianne marie marin marine marion marques martel marthe marti martin martine martineau
martinez martins marty mary maryse masse masseron masson mathieu mathilde matile matteo matthieu
maude maurice maury maxime mayor melanie menard mendes menthonnex mercier merle meunier meyer
michael michaud michel michele michelle millet monique monnard monnet monney monnier montandon
morand morard moreau morel moreno morin morissette morvan mottet mottiez moulin muller munoz
muriset musy nadeau nath nathalie nathan navarro nelly neveu nguyen nicolas nicole niquille noah
noel noemi noemie nolan normand nussle nusslin oceane odette oliveira olivia olivie olivier
ollivier onge ouellet paccot pachoud pages paquette paquin paradis pare parent paris pascal
paschoud pasquier patel patricia patrick paul paulette pauline payet peitrequin pellet pelletier
peltier penelope pepin pereira perez peron perreault perret perrier perrin perron perrot petit
petitjean philippe philippine picard piccand piche pichon pierre pilon pineau pinto pires plante
plourde poirier polla pons potier pottier potvin poulain poulin pouliot prevost privet proulx
provencher provost pruvost quartier racine ramos raphael rapin rappaz rapraz raymond raynaud
regnier remy renard renaud renault rene renee rey reynaud ribeiro richard richer riou rioux
rivard riviere robadey roberge robert robin robitaille roche rocher rodrigue rodrigues rodriguez
roger roland rolland romain romanens rosalie rosselat rosselet rossellat rossi rousseau roussel
rousset roux roy royer ruiz sabine salmon samson samuel sanchez sandoz sandra sandrine
sansonnens santos sara sarah saudan sauvage savard savoie schmitt schneider sebastien seguin
silva simard simon simone sirois smith sophie soucy sousa stephane stephanie susan susanne
suzanne sylvie tanguay tanguy tardif techer teixeira tessier texier theo theodore theophile
theraulaz therese theriault therrien thibault thibaut thibodeau thierry thomas thorens timothee
tinguely torres toussaint traore treboux tremblay trepanier tristan trottier trudel turcotte
turgeon turpin uldry vachon vaillancourt vaillant valentin valentine valerie valette vallee
vallelian vallet vanessa vasseur veilleux verdier vermeil veronique vezina victoire victor vidal
vienne villeneuve vincent virginie voisin vonlanthen vuille wagner weber weiss wicht william
xavier yves yvette yvonne zacharie zoe
"""
PERSON_NAMES = frozenset(_LIST.split())
