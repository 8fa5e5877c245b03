<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr" sourcelanguage="en">
<context>
    <name>AboutBox</name>
    <message>
        <source>About Vigogne Desktop</source>
        <translation>À propos de Vigogne Desktop</translation>
    </message>
    <message>
        <source>Vigogne Desktop {version}</source>
        <translation>Vigogne Desktop {version}</translation>
    </message>
    <message>
        <source>Chat offline with the French Vigogne models, through llama.cpp. Nothing leaves this computer unless you ask: no telemetry, the network only for the downloads and the servers you choose.</source>
        <translation>Discutez hors ligne avec les modèles français Vigogne, grâce à llama.cpp. Rien ne quitte cet ordinateur sans votre demande : aucune télémétrie, le réseau seulement pour les téléchargements et les serveurs que vous choisissez.</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Vigogne Desktop</source>
        <translation>Vigogne Desktop</translation>
    </message>
    <message>
        <source>Vigogne Desktop is already running with the data folder {folder}.</source>
        <translation>Vigogne Desktop est déjà ouvert avec le dossier de données {folder}.</translation>
    </message>
    <message>
        <source>Something went wrong ({error}). Your conversations are safe; the details are in {log}.</source>
        <translation>Une erreur inattendue s&apos;est produite ({error}). Vos conversations sont intactes ; les détails sont dans {log}.</translation>
    </message>
</context>
<context>
    <name>CatalogDetail</name>
    <message>
        <source>Licence</source>
        <translation>Licence</translation>
    </message>
    <message>
        <source>Ready GGUF files</source>
        <translation>Fichiers GGUF prêts</translation>
    </message>
    <message>
        <source>No ready GGUF file exists for this model: convert it on this computer (only the files needed are downloaded).</source>
        <translation>Aucun fichier GGUF prêt n&apos;existe pour ce modèle : convertissez-le sur cet ordinateur (seuls les fichiers nécessaires sont téléchargés).</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>Télécharger</translation>
    </message>
    <message>
        <source>Convert…</source>
        <translation>Convertir…</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>Foundation model</source>
        <translation>Modèle de base</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>Architecture</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>Prompt format</source>
        <translation>Format de prompt</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>Dépôt</translation>
    </message>
    <message>
        <source>Recommended</source>
        <translation>Recommandé</translation>
    </message>
    <message>
        <source>{count} billion</source>
        <translation>{count} milliards</translation>
    </message>
    <message>
        <source>recommended</source>
        <translation>recommandé</translation>
    </message>
    <message>
        <source>No file fits here: about {needed} is needed, {free} is free.</source>
        <translation>Aucun fichier ne tient ici : il faut ≈ {needed}, {free} sont libres.</translation>
    </message>
    <message>
        <source>To download: about {size} (the checkpoint&apos;s 16-bit weights)</source>
        <translation>À télécharger : environ {size} (les poids 16 bits du checkpoint)</translation>
    </message>
    <message>
        <source>Result: about {size} in {quant}</source>
        <translation>Résultat : environ {size} en {quant}</translation>
    </message>
    <message>
        <source>Free disk: {size}</source>
        <translation>Disque libre : {size}</translation>
    </message>
    <message>
        <source>Download ({size})</source>
        <translation>Télécharger ({size})</translation>
    </message>
</context>
<context>
    <name>ChatBanner</name>
    <message>
        <source>Retry</source>
        <translation>Réessayer</translation>
    </message>
    <message>
        <source>Restart the engine and ask the question of the failed reply again</source>
        <translation>Relancer le moteur et poser à nouveau la question de la réponse interrompue</translation>
    </message>
    <message>
        <source>Restart the engine</source>
        <translation>Relancer le moteur</translation>
    </message>
    <message>
        <source>Choose another file…</source>
        <translation>Choisir un autre fichier…</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Détails</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Fermer</translation>
    </message>
    <message>
        <source>Copy the details</source>
        <translation>Copier les détails</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message>
        <source>Reading the prompt…</source>
        <translation>Lecture du prompt…</translation>
    </message>
    <message>
        <source>Context restored in {seconds} s ({tokens} tokens not read again).</source>
        <translation>Contexte restauré en {seconds} s ({tokens} jetons non relus).</translation>
    </message>
    <message>
        <source>{speed} tokens/s</source>
        <translation>{speed} jetons/s</translation>
    </message>
    <message>
        <source>Context: {used} / {n_ctx}</source>
        <translation>Contexte : {used} / {n_ctx}</translation>
    </message>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n jeton</numerusform>
            <numerusform>%n jetons</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChatTab</name>
    <message>
        <source>Editing a message: sending replaces what follows it (Esc cancels).</source>
        <translation>Modification d&apos;un message : l&apos;envoyer remplace la suite (Échap pour annuler).</translation>
    </message>
    <message>
        <source>Write your message… (Enter sends, Shift+Enter for a new line)</source>
        <translation>Écrivez votre message… (Entrée pour envoyer, Maj+Entrée pour aller à la ligne)</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Message</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Envoyer</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <source>Stop the reply (Esc)</source>
        <translation>Arrêter la réponse (Échap)</translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation>Envoyer (Entrée)</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Conversation</source>
        <translation>Conversation</translation>
    </message>
    <message>
        <source>Ask Vigogne anything. Your conversation stays here.</source>
        <translation>Posez une question à Vigogne. Votre conversation reste sur cet ordinateur.</translation>
    </message>
</context>
<context>
    <name>CodeBlock</name>
    <message>
        <source>Copy code</source>
        <translation>Copier le code</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>This text is too long to paste ({count} characters, a message holds {limit} at most): paste a shorter part of it.</source>
        <translation>Ce texte est trop long pour être collé ({count} caractères, un message en contient {limit} au plus) : collez-en une partie plus courte.</translation>
    </message>
</context>
<context>
    <name>ConversationActions</name>
    <message>
        <source>Wait for the reply to end, or stop it, before changing conversation.</source>
        <translation>Attendez la fin de la réponse, ou arrêtez-la, avant de changer de conversation.</translation>
    </message>
    <message>
        <source>This conversation&apos;s model “{model}” is no longer on this computer: the loaded model answers instead.</source>
        <translation>Le modèle de cette conversation, « {model} », n&apos;est plus sur cet ordinateur : c&apos;est le modèle chargé qui répond.</translation>
    </message>
    <message>
        <source>« {title} » deleted.</source>
        <translation>« {title} » supprimée.</translation>
    </message>
    <message>
        <source>Conversation restored.</source>
        <translation>Conversation restaurée.</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Système</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Vous</translation>
    </message>
    <message>
        <source>Vigogne</source>
        <translation>Vigogne</translation>
    </message>
    <message>
        <source>Exported to {file}.</source>
        <translation>Exporté dans {file}.</translation>
    </message>
    <message numerus="yes">
        <source>%n conversation(s) imported.</source>
        <translation>
            <numerusform>%n conversation importée.</numerusform>
            <numerusform>%n conversations importées.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <source>Today</source>
        <translation>Aujourd&apos;hui</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>Hier</translation>
    </message>
    <message>
        <source>Previous 7 days</source>
        <translation>7 derniers jours</translation>
    </message>
    <message>
        <source>Previous 30 days</source>
        <translation>30 derniers jours</translation>
    </message>
    <message>
        <source>Pinned</source>
        <translation>Épinglées</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>Nouvelle conversation</translation>
    </message>
</context>
<context>
    <name>ConversationListView</name>
    <message>
        <source>Conversation actions</source>
        <translation>Actions sur la conversation</translation>
    </message>
    <message>
        <source>Rename, pin, export or delete</source>
        <translation>Renommer, épingler, exporter ou supprimer</translation>
    </message>
</context>
<context>
    <name>ConversationPanel</name>
    <message>
        <source>Prompt format</source>
        <translation>Format de prompt</translation>
    </message>
    <message>
        <source>Automatic (from the model)</source>
        <translation>Automatique (selon le modèle)</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>Message système</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>Température</translation>
    </message>
    <message>
        <source>Top p</source>
        <translation>Top p</translation>
    </message>
    <message>
        <source>Min p</source>
        <translation>Min p</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>Pénalité de répétition</translation>
    </message>
    <message>
        <source>Top k</source>
        <translation>Top k</translation>
    </message>
    <message>
        <source>Maximum reply length</source>
        <translation>Longueur maximale de la réponse</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>Graine</translation>
    </message>
    <message>
        <source>random</source>
        <translation>aléatoire</translation>
    </message>
    <message>
        <source>Vigogne recommended settings</source>
        <translation>Réglages recommandés par Vigogne</translation>
    </message>
    <message>
        <source>Temperature 0.1, top p 1, top k 0, repeat penalty 1.1 (Vigogne&apos;s advice)</source>
        <translation>Température 0,1, top p 1, top k 0, pénalité de répétition 1,1 (conseil de Vigogne)</translation>
    </message>
    <message>
        <source>Max tokens</source>
        <translation>Jetons max.</translation>
    </message>
</context>
<context>
    <name>ConvertDialog</name>
    <message>
        <source>Convert a model to GGUF</source>
        <translation>Convertir un modèle en GGUF</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Source</translation>
    </message>
    <message>
        <source>A Vigogne model from the catalog (to convert)</source>
        <translation>Un modèle Vigogne du catalogue (à convertir)</translation>
    </message>
    <message>
        <source>A checkpoint folder on this computer</source>
        <translation>Un dossier de checkpoint sur cet ordinateur</translation>
    </message>
    <message>
        <source>A LoRA adapter and its base model</source>
        <translation>Un adaptateur LoRA et son modèle de base</translation>
    </message>
    <message>
        <source>Catalog checkpoint</source>
        <translation>Checkpoint du catalogue</translation>
    </message>
    <message>
        <source>Checkpoint folder</source>
        <translation>Dossier du checkpoint</translation>
    </message>
    <message>
        <source>LoRA adapter folder</source>
        <translation>Dossier de l&apos;adaptateur LoRA</translation>
    </message>
    <message>
        <source>Base model (folder or Hub repo id)</source>
        <translation>Modèle de base (dossier ou dépôt du Hub)</translation>
    </message>
    <message>
        <source>Adapter</source>
        <translation>Adaptateur</translation>
    </message>
    <message>
        <source>Base</source>
        <translation>Base</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>Quantification</translation>
    </message>
    <message>
        <source>Measure the quality after quantizing</source>
        <translation>Mesurer la qualité après la quantification</translation>
    </message>
    <message>
        <source>Compares the quantized model with the unquantized one on a French text (a few minutes more); the figures are stored in the file and replace the typical ones.</source>
        <translation>Compare le modèle quantifié au modèle non quantifié sur un texte français (quelques minutes de plus) ; les chiffres sont enregistrés dans le fichier et remplacent les valeurs typiques.</translation>
    </message>
    <message>
        <source>Conversion progress</source>
        <translation>Avancement de la conversion</translation>
    </message>
    <message>
        <source>Convert</source>
        <translation>Convertir</translation>
    </message>
    <message>
        <source>Chat with it</source>
        <translation>Discuter</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Fermer</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Parcourir…</translation>
    </message>
    <message>
        <source>recommended for this computer</source>
        <translation>recommandé pour cet ordinateur</translation>
    </message>
    <message>
        <source>The result goes to {file}</source>
        <translation>Le résultat sera enregistré dans {file}</translation>
    </message>
    <message>
        <source>Result: about {size}</source>
        <translation>Résultat : environ {size}</translation>
    </message>
    <message>
        <source>To download: about {size} (the checkpoint&apos;s 16-bit weights)</source>
        <translation>À télécharger : environ {size} (les poids 16 bits du checkpoint)</translation>
    </message>
    <message>
        <source>Free disk: {size}</source>
        <translation>Disque libre : {size}</translation>
    </message>
    <message>
        <source>Choose the checkpoint&apos;s folder first.</source>
        <translation>Choisissez d&apos;abord le dossier du checkpoint.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Starting the converter…</source>
        <translation>Démarrage du convertisseur…</translation>
    </message>
    <message>
        <source>Downloading the checkpoint</source>
        <translation>Téléchargement du checkpoint</translation>
    </message>
    <message>
        <source>Converting</source>
        <translation>Conversion</translation>
    </message>
    <message>
        <source>Quantizing</source>
        <translation>Quantification</translation>
    </message>
    <message>
        <source>Measuring the quality…</source>
        <translation>Mesure de la qualité…</translation>
    </message>
    <message>
        <source>Finishing</source>
        <translation>Finalisation</translation>
    </message>
    <message>
        <source>{done}/{total} tokens</source>
        <translation>{done}/{total} jetons</translation>
    </message>
    <message>
        <source>{done} of {total} tensors</source>
        <translation>{done} tenseurs sur {total}</translation>
    </message>
    <message>
        <source>{time} left</source>
        <translation>{time} restantes</translation>
    </message>
    <message>
        <source>Done: {file} is in the library.</source>
        <translation>Terminé : {file} est dans la bibliothèque.</translation>
    </message>
</context>
<context>
    <name>CopyButton</name>
    <message>
        <source>Copied</source>
        <translation>Copié</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
</context>
<context>
    <name>EngineController</name>
    <message>
        <source>Loading {model}…</source>
        <translation>Chargement de {model}…</translation>
    </message>
    <message>
        <source>Connecting to {server}…</source>
        <translation>Connexion à {server}…</translation>
    </message>
    <message>
        <source>First start: preparing the demonstration model…</source>
        <translation>Premier démarrage : préparation du modèle de démonstration…</translation>
    </message>
    <message>
        <source>Model ready (loaded in {seconds} s).</source>
        <translation>Modèle prêt (chargé en {seconds} s).</translation>
    </message>
    <message>
        <source>Context: 0 / {n_ctx}</source>
        <translation>Contexte : 0 / {n_ctx}</translation>
    </message>
    <message>
        <source>Connected.</source>
        <translation>Connecté.</translation>
    </message>
    <message>
        <source>{model} is still loaded.</source>
        <translation>{model} reste chargé.</translation>
    </message>
    <message>
        <source>No model is loaded.</source>
        <translation>Aucun modèle n&apos;est chargé.</translation>
    </message>
    <message>
        <source>Wait for the reply to end, or stop it, before changing model.</source>
        <translation>Attendez la fin de la réponse, ou arrêtez-la, avant de changer de modèle.</translation>
    </message>
    <message>
        <source>The settings could not be saved ({error}).</source>
        <translation>Les paramètres n&apos;ont pas pu être enregistrés ({error}).</translation>
    </message>
</context>
<context>
    <name>InstructView</name>
    <message>
        <source>Instruction, e.g. “Summarise this text in one sentence.”</source>
        <translation>Instruction, par ex. « Résume ce texte en une phrase. »</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>Instruction</translation>
    </message>
    <message>
        <source>Input (optional): the text to work on</source>
        <translation>Entrée (facultative) : le texte à traiter</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>Entrée</translation>
    </message>
    <message>
        <source>Vigogne instruct format</source>
        <translation>Format instruct de Vigogne</translation>
    </message>
    <message>
        <source>“### Instruction / ### Réponse”, as Vigogne instruct models were trained. Uncheck it for a chat model: the instruction is then asked in its chat format.</source>
        <translation>« ### Instruction / ### Réponse », le format d&apos;entraînement des modèles instruct de Vigogne. Décochez-le pour un modèle de chat : l&apos;instruction est alors posée dans son format de chat.</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>Exécuter</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <source>Keep as a conversation</source>
        <translation>Garder comme conversation</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Réponse</translation>
    </message>
    <message>
        <source>Input (optional)</source>
        <translation>Entrée (facultative)</translation>
    </message>
</context>
<context>
    <name>Library</name>
    <message>
        <source>Fits</source>
        <translation>Adapté</translation>
    </message>
    <message>
        <source>Tight</source>
        <translation>Limite</translation>
    </message>
    <message>
        <source>Too big</source>
        <translation>Trop gros</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>Inconnu</translation>
    </message>
    <message>
        <source>Research only</source>
        <translation>Recherche uniquement</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Discussion</translation>
    </message>
    <message>
        <source>Instruct</source>
        <translation>Instruction</translation>
    </message>
    <message>
        <source>Needs about {ram} of memory.</source>
        <translation>Demande environ {ram} de mémoire.</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Quant.</source>
        <translation>Quantif.</translation>
    </message>
    <message>
        <source>Compatibility</source>
        <translation>Compatibilité</translation>
    </message>
    <message>
        <source>{quant} (to convert)</source>
        <translation>{quant} (à convertir)</translation>
    </message>
    <message>
        <source>App folder</source>
        <translation>Dossier de l&apos;application</translation>
    </message>
    <message>
        <source>No ready GGUF file: converted on this computer, in {quant}.</source>
        <translation>Aucun fichier GGUF prêt : converti sur cet ordinateur, en {quant}.</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Taille</translation>
    </message>
    <message>
        <source>≈ {needed} needed, {free} free, context {n_ctx}</source>
        <translation>≈ {needed} nécessaires, {free} libres, contexte {n_ctx}</translation>
    </message>
    <message>
        <source>Licence</source>
        <translation>Licence</translation>
    </message>
    <message>
        <source>Added</source>
        <translation>Ajouté</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Source</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>Architecture</translation>
    </message>
</context>
<context>
    <name>LibraryController</name>
    <message>
        <source>The settings could not be saved ({error}).</source>
        <translation>Les paramètres n&apos;ont pas pu être enregistrés ({error}).</translation>
    </message>
    <message>
        <source>Removed from the library: {names}. The files stay on disk.</source>
        <translation>Retiré de la bibliothèque : {names}. Les fichiers restent sur le disque.</translation>
    </message>
    <message>
        <source>{model} is the model in use: load another one, then delete it.</source>
        <translation>{model} est le modèle en cours d&apos;utilisation : chargez-en un autre, puis supprimez-le.</translation>
    </message>
    <message>
        <source>{model} could not be deleted ({error}).</source>
        <translation>{model} n&apos;a pas pu être supprimé ({error}).</translation>
    </message>
    <message>
        <source>{model} is in the trash.</source>
        <translation>{model} est dans la corbeille.</translation>
    </message>
    <message>
        <source>{model} is deleted.</source>
        <translation>{model} est supprimé.</translation>
    </message>
    <message>
        <source>A download is already running: wait for it or cancel it.</source>
        <translation>Un téléchargement est déjà en cours : attendez qu&apos;il finisse ou annulez-le.</translation>
    </message>
    <message>
        <source>{model} is downloaded and verified.</source>
        <translation>{model} est téléchargé et vérifié.</translation>
    </message>
    <message>
        <source>Conversion cancelled: nothing was added to the library.</source>
        <translation>Conversion annulée : rien n&apos;a été ajouté à la bibliothèque.</translation>
    </message>
    <message>
        <source>{model} is converted and in the library.</source>
        <translation>{model} est converti et dans la bibliothèque.</translation>
    </message>
</context>
<context>
    <name>LibraryQuestions</name>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Research use only</source>
        <translation>Usage de recherche uniquement</translation>
    </message>
    <message>
        <source>Use this model for research only?</source>
        <translation>Utiliser ce modèle uniquement pour la recherche ?</translation>
    </message>
    <message>
        <source>Continue (research only)</source>
        <translation>Continuer (recherche uniquement)</translation>
    </message>
    <message>
        <source>{quant} needs about {needed} of free memory and {free} is free: it will not run on this computer as it is now. Download it anyway?</source>
        <translation>{quant} demande environ {needed} de mémoire libre et {free} sont libres : il ne fonctionnera pas sur cet ordinateur en l&apos;état. Le télécharger quand même ?</translation>
    </message>
    <message>
        <source>Too big for this computer</source>
        <translation>Trop gros pour cet ordinateur</translation>
    </message>
    <message>
        <source>Download anyway</source>
        <translation>Télécharger quand même</translation>
    </message>
    <message numerus="yes">
        <source>Remove the folder {name} and its %n model(s) from the library? The files stay on disk: only the library forgets them.</source>
        <translation>
            <numerusform>Retirer de la bibliothèque le dossier {name} et son modèle ? Les fichiers restent sur le disque : seule la bibliothèque les oublie.</numerusform>
            <numerusform>Retirer de la bibliothèque le dossier {name} et ses %n modèles ? Les fichiers restent sur le disque : seule la bibliothèque les oublie.</numerusform>
        </translation>
    </message>
    <message>
        <source>Remove {name} from the library? The file stays on disk: only the library forgets it.</source>
        <translation>Retirer {name} de la bibliothèque ? Le fichier reste sur le disque : seule la bibliothèque l&apos;oublie.</translation>
    </message>
    <message>
        <source>Remove from library</source>
        <translation>Retirer de la bibliothèque</translation>
    </message>
    <message>
        <source>Delete {name} ({size}) from the models folder? It goes to the trash, or is deleted for good where there is no trash.</source>
        <translation>Supprimer {name} ({size}) du dossier des modèles ? Il va à la corbeille, ou est supprimé définitivement s&apos;il n&apos;y a pas de corbeille.</translation>
    </message>
    <message>
        <source>Delete the file</source>
        <translation>Supprimer le fichier</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) skipped</source>
        <translation>
            <numerusform>%n fichier ignoré</numerusform>
            <numerusform>%n fichiers ignorés</numerusform>
        </translation>
    </message>
    <message>
        <source>Files skipped</source>
        <translation>Fichiers ignorés</translation>
    </message>
    <message>
        <source>These files are not in the library:</source>
        <translation>Ces fichiers ne sont pas dans la bibliothèque :</translation>
    </message>
    <message numerus="yes">
        <source>Remove the %n added one(s) from the library</source>
        <translation>
            <numerusform>Retirer de la bibliothèque celui qui a été ajouté</numerusform>
            <numerusform>Retirer de la bibliothèque les %n ajoutés</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LibraryView</name>
    <message>
        <source>Vigogne catalog</source>
        <translation>Catalogue Vigogne</translation>
    </message>
    <message>
        <source>Models on this computer</source>
        <translation>Modèles sur cet ordinateur</translation>
    </message>
    <message>
        <source>On this computer</source>
        <translation>Sur cet ordinateur</translation>
    </message>
    <message>
        <source>Type of model</source>
        <translation>Type de modèle</translation>
    </message>
    <message>
        <source>All types</source>
        <translation>Tous les types</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Discussion</translation>
    </message>
    <message>
        <source>Instruct</source>
        <translation>Instruction</translation>
    </message>
    <message>
        <source>Fits this computer</source>
        <translation>Adapté à cet ordinateur</translation>
    </message>
    <message>
        <source>Add models…</source>
        <translation>Ajouter des modèles…</translation>
    </message>
    <message>
        <source>GGUF files…</source>
        <translation>Fichiers GGUF…</translation>
    </message>
    <message>
        <source>A folder…</source>
        <translation>Un dossier…</translation>
    </message>
    <message>
        <source>Convert…</source>
        <translation>Convertir…</translation>
    </message>
    <message>
        <source>Convert a Hugging Face checkpoint, a folder or a LoRA adapter to GGUF</source>
        <translation>Convertir en GGUF un checkpoint Hugging Face, un dossier ou un adaptateur LoRA</translation>
    </message>
    <message>
        <source>Choose a model in the catalog or on this computer.</source>
        <translation>Choisissez un modèle dans le catalogue ou sur cet ordinateur.</translation>
    </message>
    <message>
        <source>Download progress</source>
        <translation>Avancement du téléchargement</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>no GPU</source>
        <translation>sans GPU</translation>
    </message>
    <message>
        <source>This computer: {free} free of {total}, {cores} cores, {gpu}</source>
        <translation>Cet ordinateur : {free} libres sur {total}, {cores} cœurs, {gpu}</translation>
    </message>
    <message>
        <source>{disk} free on disk</source>
        <translation>{disk} libres sur le disque</translation>
    </message>
    <message>
        <source>estimates for a {n_ctx}-token context</source>
        <translation>estimations pour {n_ctx} jetons de contexte</translation>
    </message>
    <message>
        <source>Resuming the download of {file} ({size} already here)…</source>
        <translation>Reprise du téléchargement de {file} ({size} déjà reçus)…</translation>
    </message>
    <message>
        <source>Downloading {file}…</source>
        <translation>Téléchargement de {file}…</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} sur {total}</translation>
    </message>
    <message>
        <source>{speed}/s</source>
        <translation>{speed}/s</translation>
    </message>
    <message>
        <source>{time} left</source>
        <translation>{time} restantes</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Annulation…</translation>
    </message>
    <message>
        <source>Add GGUF models</source>
        <translation>Ajouter des modèles GGUF</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>Modèles GGUF (*.gguf)</translation>
    </message>
    <message>
        <source>Add a folder of GGUF models</source>
        <translation>Ajouter un dossier de modèles GGUF</translation>
    </message>
</context>
<context>
    <name>LocalDetail</name>
    <message>
        <source>Measured quality</source>
        <translation>Qualité mesurée</translation>
    </message>
    <message>
        <source>Chat with it</source>
        <translation>Discuter</translation>
    </message>
    <message>
        <source>Remove from library</source>
        <translation>Retirer de la bibliothèque</translation>
    </message>
    <message>
        <source>The library forgets it; the file stays on disk.</source>
        <translation>La bibliothèque l&apos;oublie ; le fichier reste sur le disque.</translation>
    </message>
    <message>
        <source>Delete the file…</source>
        <translation>Supprimer le fichier…</translation>
    </message>
    <message>
        <source>File</source>
        <translation>Fichier</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Source</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>Architecture</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>Quantification</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Taille</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>Longueur de contexte</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>Gabarit de conversation</translation>
    </message>
    <message>
        <source>{count} tokens</source>
        <translation>{count} jetons</translation>
    </message>
    <message>
        <source>Built into the file</source>
        <translation>intégré au fichier</translation>
    </message>
    <message>
        <source>No: the Vigogne format is chosen from the name</source>
        <translation>Non : le format Vigogne est choisi d&apos;après le nom</translation>
    </message>
    <message>
        <source>Measured on this computer against {reference}: same first token {share} of the time, KL divergence {kl}, perplexity {ppl} ({reference}: {ppl_reference}), over {tokens} tokens.</source>
        <translation>Mesurée sur cet ordinateur par rapport au {reference} : même premier jeton dans {share} des cas, divergence KL {kl}, perplexité {ppl} ({reference} : {ppl_reference}), sur {tokens} jetons.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Vigogne Desktop</source>
        <translation>Vigogne Desktop</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Discussion</translation>
    </message>
    <message>
        <source>Instruct</source>
        <translation>Instruction</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>Bibliothèque</translation>
    </message>
    <message>
        <source>The history file was damaged: it was kept as {file} and a new one begun.</source>
        <translation>Le fichier d&apos;historique était endommagé : il a été conservé sous le nom {file} et un nouveau a été commencé.</translation>
    </message>
    <message>
        <source>Generation speed</source>
        <translation>Vitesse de génération</translation>
    </message>
    <message>
        <source>Context used</source>
        <translation>Contexte utilisé</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Édition</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Affichage</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Aide</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>Nouvelle conversation</translation>
    </message>
    <message>
        <source>Open a model…</source>
        <translation>Ouvrir un modèle…</translation>
    </message>
    <message>
        <source>Model library</source>
        <translation>Bibliothèque de modèles</translation>
    </message>
    <message>
        <source>Convert a model…</source>
        <translation>Convertir un modèle…</translation>
    </message>
    <message>
        <source>Import conversations…</source>
        <translation>Importer des conversations…</translation>
    </message>
    <message>
        <source>Export this conversation as Markdown…</source>
        <translation>Exporter cette conversation en Markdown…</translation>
    </message>
    <message>
        <source>Export this conversation as JSON…</source>
        <translation>Exporter cette conversation en JSON…</translation>
    </message>
    <message>
        <source>Export all conversations…</source>
        <translation>Exporter toutes les conversations…</translation>
    </message>
    <message>
        <source>Settings…</source>
        <translation>Paramètres…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Quitter</translation>
    </message>
    <message>
        <source>Write a message</source>
        <translation>Écrire un message</translation>
    </message>
    <message>
        <source>Copy the last reply</source>
        <translation>Copier la dernière réponse</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>Rechercher dans les conversations</translation>
    </message>
    <message>
        <source>Regenerate the last reply</source>
        <translation>Régénérer la dernière réponse</translation>
    </message>
    <message>
        <source>Stop the reply</source>
        <translation>Arrêter la réponse</translation>
    </message>
    <message>
        <source>Conversation settings</source>
        <translation>Réglages de la conversation</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Raccourcis clavier</translation>
    </message>
    <message>
        <source>About Vigogne Desktop</source>
        <translation>À propos</translation>
    </message>
    <message>
        <source>Open a model</source>
        <translation>Ouvrir un modèle</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>Modèles GGUF (*.gguf)</translation>
    </message>
    <message>
        <source>The last reply is copied.</source>
        <translation>Dernière réponse copiée.</translation>
    </message>
    <message>
        <source>There is no reply to copy yet.</source>
        <translation>Aucune réponse à copier pour l&apos;instant.</translation>
    </message>
    <message>
        <source>Context: 0 / {n_ctx}</source>
        <translation>Contexte : 0 / {n_ctx}</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>Renommer</translation>
    </message>
    <message>
        <source>Conversation list</source>
        <translation>Liste des conversations</translation>
    </message>
    <message>
        <source>New title:</source>
        <translation>Nouveau titre :</translation>
    </message>
    <message>
        <source>Nothing to export yet: send a first message.</source>
        <translation>Rien à exporter pour l&apos;instant : envoyez un premier message.</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exporter</translation>
    </message>
    <message>
        <source>Export all</source>
        <translation>Tout exporter</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>Importer</translation>
    </message>
    <message>
        <source>Exports (*.json)</source>
        <translation>Exports (*.json)</translation>
    </message>
    <message>
        <source>The model is loading…</source>
        <translation>Le modèle se charge…</translation>
    </message>
    <message>
        <source>The engine stopped: « Retry » above starts it again, or choose a model in the bar.</source>
        <translation>Le moteur s&apos;est arrêté : « Réessayer » ci-dessus le relance, ou choisissez un modèle dans la barre.</translation>
    </message>
    <message>
        <source>Load a model first (File › Open a model).</source>
        <translation>Chargez d&apos;abord un modèle (Fichier › Ouvrir un modèle).</translation>
    </message>
    <message>
        <source>Vigogne is writing… (Esc stops)</source>
        <translation>Vigogne écrit… (Échap pour arrêter)</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>Previous version</source>
        <translation>Version précédente</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>Version suivante</translation>
    </message>
    <message>
        <source>Copy this message</source>
        <translation>Copier ce message</translation>
    </message>
    <message>
        <source>Edit and send again</source>
        <translation>Modifier et renvoyer</translation>
    </message>
    <message>
        <source>Write another reply</source>
        <translation>Écrire une autre réponse</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Vous</translation>
    </message>
    <message>
        <source>Vigogne</source>
        <translation>Vigogne</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Système</translation>
    </message>
    <message>
        <source>unfinished: the app stopped while writing</source>
        <translation>inachevée : l&apos;application s&apos;est arrêtée pendant l&apos;écriture</translation>
    </message>
    <message numerus="yes">
        <source>%n more character(s) of this message are not shown: « Copy this message » copies it whole.</source>
        <translation>
            <numerusform>%n caractère de plus de ce message n&apos;est pas affiché : « Copier ce message » le copie en entier.</numerusform>
            <numerusform>%n caractères de plus de ce message ne sont pas affichés : « Copier ce message » le copie en entier.</numerusform>
        </translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>arrêtée</translation>
    </message>
    <message>
        <source>unfinished: the engine stopped</source>
        <translation>inachevée : le moteur s&apos;est arrêté</translation>
    </message>
    <message>
        <source>unfinished: the reply failed</source>
        <translation>inachevée : la réponse a échoué</translation>
    </message>
    <message numerus="yes">
        <source>This model takes only the last %n exchange(s) of a conversation: the earlier ones were not sent to it.</source>
        <translation>
            <numerusform>Ce modèle ne prend que le dernier échange d&apos;une conversation : les précédents ne lui ont pas été envoyés.</numerusform>
            <numerusform>Ce modèle ne prend que les %n derniers échanges d&apos;une conversation : les précédents ne lui ont pas été envoyés.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n earlier exchange(s) did not fit in the context window and were left out of this reply.</source>
        <translation>
            <numerusform>%n échange ancien ne tenait pas dans la fenêtre de contexte et n&apos;a pas été pris en compte pour cette réponse.</numerusform>
            <numerusform>%n échanges anciens ne tenaient pas dans la fenêtre de contexte et n&apos;ont pas été pris en compte pour cette réponse.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n jeton</numerusform>
            <numerusform>%n jetons</numerusform>
        </translation>
    </message>
    <message>
        <source>{speed} tokens/s</source>
        <translation>{speed} jetons/s</translation>
    </message>
</context>
<context>
    <name>ModelBar</name>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>The model that answers: choose another one here</source>
        <translation>Le modèle qui répond : choisissez-en un autre ici</translation>
    </message>
    <message>
        <source>Choose a model</source>
        <translation>Choisir un modèle</translation>
    </message>
    <message>
        <source>Loading progress</source>
        <translation>Progression du chargement</translation>
    </message>
    <message>
        <source>Open a file…</source>
        <translation>Ouvrir un fichier…</translation>
    </message>
    <message>
        <source>Library</source>
        <translation>Bibliothèque</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Chargement…</translation>
    </message>
    <message>
        <source>The engine stopped</source>
        <translation>Le moteur s&apos;est arrêté</translation>
    </message>
    <message>
        <source>No model loaded</source>
        <translation>Aucun modèle chargé</translation>
    </message>
    <message>
        <source>{model}: a context of {n_ctx} tokens (trained for {n_ctx_train}), the prompt format {format}, from {file}</source>
        <translation>{model} : un contexte de {n_ctx} jetons (entraîné sur {n_ctx_train}), le format de prompt {format}, depuis {file}</translation>
    </message>
    <message>
        <source>{model} on {server}</source>
        <translation>{model} sur {server}</translation>
    </message>
    <message>
        <source>context {n_ctx}</source>
        <translation>contexte {n_ctx}</translation>
    </message>
</context>
<context>
    <name>QualityChart</name>
    <message>
        <source>What each quantization costs</source>
        <translation>Ce que coûte chaque quantification</translation>
    </message>
    <message>
        <source>{quant}: about {needed} of memory needed, a {size} file</source>
        <translation>{quant} : environ {needed} de mémoire nécessaires, un fichier de {size}</translation>
    </message>
    <message>
        <source>, quality unknown until measured</source>
        <translation>, qualité inconnue tant qu&apos;elle n&apos;est pas mesurée</translation>
    </message>
    <message>
        <source>, same first token as the unquantized model {share} of the time, KL divergence {kl}</source>
        <translation>, même premier jeton que le modèle non quantifié dans {share} des cas, divergence KL {kl}</translation>
    </message>
    <message>
        <source> (measured on this computer)</source>
        <translation> (mesuré sur cet ordinateur)</translation>
    </message>
    <message>
        <source> (typical for a 7B Llama 2, published by llama.cpp)</source>
        <translation> (typique d&apos;un Llama 2 7B, publié par llama.cpp)</translation>
    </message>
    <message>
        <source>, recommended for this computer</source>
        <translation>, recommandée pour cet ordinateur</translation>
    </message>
    <message>
        <source>Memory available here: {free}.</source>
        <translation>Mémoire disponible ici : {free}.</translation>
    </message>
    <message>
        <source>Same first token as the unquantized model</source>
        <translation>Même premier jeton que le modèle non quantifié</translation>
    </message>
    <message>
        <source>Memory needed here</source>
        <translation>Mémoire nécessaire ici</translation>
    </message>
    <message>
        <source>available: {free}</source>
        <translation>disponible : {free}</translation>
    </message>
    <message>
        <source>typical (7B Llama 2, llama.cpp)</source>
        <translation>typique (Llama 2 7B, llama.cpp)</translation>
    </message>
    <message>
        <source>measured here</source>
        <translation>mesurée ici</translation>
    </message>
    <message>
        <source>not known yet</source>
        <translation>pas encore connue</translation>
    </message>
    <message>
        <source>recommended</source>
        <translation>recommandée</translation>
    </message>
    <message>
        <source>available memory</source>
        <translation>mémoire disponible</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>General</source>
        <translation>Général</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Engines</source>
        <translation>Moteurs</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Langue</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Langue du système</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>Thème</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>Comme le système</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Clair</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Sombre</translation>
    </message>
    <message>
        <source>Hugging Face token</source>
        <translation>Jeton Hugging Face</translation>
    </message>
    <message>
        <source>hf_… (for gated models only)</source>
        <translation>hf_… (pour les modèles restreints uniquement)</translation>
    </message>
    <message>
        <source>The HF_TOKEN environment variable, when set, is used instead.</source>
        <translation>La variable d&apos;environnement HF_TOKEN est définie : c&apos;est elle qui est utilisée.</translation>
    </message>
    <message>
        <source>Needed only for models whose licence must be accepted on the Hub.</source>
        <translation>Nécessaire seulement pour les modèles dont la licence doit être acceptée sur le Hub.</translation>
    </message>
    <message>
        <source>A new language applies at the next start.</source>
        <translation>Une nouvelle langue s&apos;applique au prochain démarrage.</translation>
    </message>
    <message>
        <source>Automatic (the model&apos;s context)</source>
        <translation>Automatique (contexte du modèle)</translation>
    </message>
    <message>
        <source>Context window</source>
        <translation>Fenêtre de contexte</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>automatique</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>Fils d&apos;exécution</translation>
    </message>
    <message>
        <source>all</source>
        <translation>toutes</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>Couches GPU</translation>
    </message>
    <message>
        <source>no model loaded</source>
        <translation>aucun modèle chargé</translation>
    </message>
    <message>
        <source>Load settings of {model}</source>
        <translation>Réglages de chargement de {model}</translation>
    </message>
    <message>
        <source>Context window (tokens)</source>
        <translation>Fenêtre de contexte (jetons)</translation>
    </message>
    <message>
        <source>CPU threads</source>
        <translation>Fils d&apos;exécution CPU</translation>
    </message>
    <message>
        <source>Layers on the GPU</source>
        <translation>Couches sur le GPU</translation>
    </message>
    <message>
        <source>Memory for recent conversations</source>
        <translation>Mémoire pour les conversations récentes</translation>
    </message>
    <message>
        <source>The model reloads with these settings.</source>
        <translation>Le modèle est rechargé avec ces réglages.</translation>
    </message>
    <message>
        <source>Going back to a recent conversation is almost instant when its state is kept in memory, at the cost of up to this much RAM while a model is loaded.</source>
        <translation>Revenir à une conversation récente est presque instantané quand son état est gardé en mémoire, ce qui occupe jusqu&apos;à cette quantité de mémoire vive tant qu&apos;un modèle est chargé.</translation>
    </message>
    <message>
        <source>automatic (≈ {size})</source>
        <translation>automatique (≈ {size})</translation>
    </message>
    <message>
        <source>none</source>
        <translation>aucune</translation>
    </message>
    <message>
        <source>chosen size</source>
        <translation>taille choisie</translation>
    </message>
    <message>
        <source> MiB</source>
        <translation> Mio</translation>
    </message>
    <message>
        <source>Memory for recent conversations, in MiB</source>
        <translation>Mémoire pour les conversations récentes, en Mio</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>Moteur</translation>
    </message>
    <message>
        <source>Remote servers</source>
        <translation>Serveurs distants</translation>
    </message>
    <message>
        <source>Name, e.g. vLLM at work</source>
        <translation>Nom, par ex. vLLM au bureau</translation>
    </message>
    <message>
        <source>API key (if the server needs one)</source>
        <translation>Clé d&apos;API (si le serveur en demande une)</translation>
    </message>
    <message>
        <source>Model (empty: the server&apos;s first)</source>
        <translation>Modèle (vide : le premier du serveur)</translation>
    </message>
    <message>
        <source>Server name</source>
        <translation>Nom du serveur</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>Adresse du serveur</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>Clé d&apos;API</translation>
    </message>
    <message>
        <source>Model name</source>
        <translation>Nom du modèle</translation>
    </message>
    <message>
        <source>Add server</source>
        <translation>Ajouter le serveur</translation>
    </message>
    <message>
        <source>Remove server</source>
        <translation>Retirer le serveur</translation>
    </message>
    <message>
        <source>Remote OpenAI-compatible servers</source>
        <translation>Serveurs distants compatibles OpenAI</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nom</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <source>Share the local model with other apps</source>
        <translation>Partager le modèle local avec d&apos;autres applications</translation>
    </message>
    <message>
        <source>Serve the loaded model on this computer (127.0.0.1 only)</source>
        <translation>Servir le modèle chargé sur cet ordinateur (127.0.0.1 uniquement)</translation>
    </message>
    <message>
        <source>Sharing address</source>
        <translation>Adresse de partage</translation>
    </message>
    <message>
        <source>Sharing key</source>
        <translation>Clé de partage</translation>
    </message>
    <message>
        <source>Copy key</source>
        <translation>Copier la clé</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Clé</translation>
    </message>
    <message>
        <source>Chat with</source>
        <translation>Discuter avec</translation>
    </message>
    <message>
        <source>This computer (llama.cpp)</source>
        <translation>Cet ordinateur (llama.cpp)</translation>
    </message>
    <message>
        <source>Give the server a name not used yet.</source>
        <translation>Donnez au serveur un nom qui n&apos;est pas encore utilisé.</translation>
    </message>
    <message>
        <source>Sharing uses about %1 more memory and %2 more GPU memory.</source>
        <translation>Le partage utilise environ %1 de mémoire en plus, et %2 de mémoire graphique.</translation>
    </message>
    <message>
        <source>Sharing uses about %1 more memory.</source>
        <translation>Le partage utilise environ %1 de mémoire en plus.</translation>
    </message>
</context>
<context>
    <name>SharingController</name>
    <message>
        <source>Not shared.</source>
        <translation>Non partagé.</translation>
    </message>
    <message>
        <source>Load a local model to share it.</source>
        <translation>Chargez un modèle local pour le partager.</translation>
    </message>
    <message>
        <source>Starting the server…</source>
        <translation>Démarrage du serveur…</translation>
    </message>
    <message>
        <source>Shared: other apps on this computer can use the model.</source>
        <translation>Partagé : les autres applications de cet ordinateur peuvent utiliser le modèle.</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Raccourcis clavier</translation>
    </message>
    <message>
        <source>Send the message</source>
        <translation>Envoyer le message</translation>
    </message>
    <message>
        <source>New line in the message</source>
        <translation>Nouvelle ligne dans le message</translation>
    </message>
    <message>
        <source>Run the instruction (Instruct tab)</source>
        <translation>Exécuter l&apos;instruction (onglet Instruction)</translation>
    </message>
    <message>
        <source>Shortcut</source>
        <translation>Raccourci</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>Show or hide: {name}</source>
        <translation>Afficher ou masquer : {name}</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>New conversation</source>
        <translation>Nouvelle conversation</translation>
    </message>
    <message>
        <source>New conversation (Ctrl+N)</source>
        <translation>Nouvelle conversation (Ctrl+N)</translation>
    </message>
    <message>
        <source>Search conversations (Ctrl+F)</source>
        <translation>Rechercher… (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>Rechercher dans les conversations</translation>
    </message>
    <message>
        <source>In messages, a word of one or two letters is found whole: type on to find the words it begins.</source>
        <translation>Dans les messages, un mot d&apos;une ou deux lettres est cherché entier : tapez la suite pour trouver les mots qui commencent ainsi.</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Conversations</translation>
    </message>
    <message>
        <source>Search results</source>
        <translation>Résultats de recherche</translation>
    </message>
    <message>
        <source>Conversation deleted</source>
        <translation>Conversation supprimée</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Delete the selected conversation</source>
        <translation>Supprimer la conversation choisie</translation>
    </message>
    <message>
        <source>Rename the selected conversation</source>
        <translation>Renommer la conversation choisie</translation>
    </message>
    <message>
        <source>No conversation contains these words.</source>
        <translation>Aucune conversation ne contient ces mots.</translation>
    </message>
    <message>
        <source>Rename… (F2)</source>
        <translation>Renommer… (F2)</translation>
    </message>
    <message>
        <source>Delete (Del)</source>
        <translation>Supprimer (Suppr)</translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation>Désépingler</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>Épingler</translation>
    </message>
    <message>
        <source>Export as Markdown…</source>
        <translation>Exporter en Markdown…</translation>
    </message>
    <message>
        <source>Export as JSON…</source>
        <translation>Exporter en JSON…</translation>
    </message>
</context>
<context>
    <name>TypingDots</name>
    <message>
        <source>Vigogne is thinking…</source>
        <translation>Vigogne réfléchit…</translation>
    </message>
</context>
<context>
    <name>WelcomeView</name>
    <message>
        <source>Welcome</source>
        <translation>Accueil</translation>
    </message>
    <message>
        <source>Welcome to Vigogne Desktop</source>
        <translation>Bienvenue dans Vigogne Desktop</translation>
    </message>
    <message>
        <source>Chat in French with Vigogne models that run on this computer, without a network: nothing you write leaves it.</source>
        <translation>Discutez en français avec les modèles Vigogne, sur cet ordinateur et sans réseau : rien de ce que vous écrivez n&apos;en sort.</translation>
    </message>
    <message>
        <source>Get a Vigogne model</source>
        <translation>Obtenir un modèle Vigogne</translation>
    </message>
    <message>
        <source>The library: download or convert a real model</source>
        <translation>La bibliothèque : téléchargez ou convertissez un vrai modèle</translation>
    </message>
    <message>
        <source>Open a file…</source>
        <translation>Ouvrir un fichier…</translation>
    </message>
    <message>
        <source>Try a question:</source>
        <translation>Essayez une question :</translation>
    </message>
    <message>
        <source>Send this question</source>
        <translation>Envoyer cette question</translation>
    </message>
    <message>
        <source>The model is loading… the questions below can be sent once it is ready.</source>
        <translation>Le modèle se charge… les questions ci-dessous pourront être envoyées dès qu&apos;il sera prêt.</translation>
    </message>
    <message>
        <source>No model is loaded: choose one in the bar above, open a GGUF file, or get a Vigogne model from the library.</source>
        <translation>Aucun modèle n&apos;est chargé : choisissez-en un dans la barre ci-dessus, ouvrez un fichier GGUF ou obtenez un modèle Vigogne dans la bibliothèque.</translation>
    </message>
    <message>
        <source>This is the demonstration model: a toy trained on a few facts (capitals, languages, sums, days, colours) that answers one question at a time and knows nothing else. For real conversations, get a Vigogne model from the library.</source>
        <translation>Voici le modèle de démonstration : un jouet entraîné sur quelques faits (capitales, langues, additions, jours, couleurs), qui répond à une question à la fois et ne sait rien d&apos;autre. Pour de vraies conversations, obtenez un modèle Vigogne dans la bibliothèque.</translation>
    </message>
</context>
</TS>
