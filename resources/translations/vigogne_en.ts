<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>ChatController</name>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n token</numerusform>
            <numerusform>%n tokens</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ConversationActions</name>
    <message numerus="yes">
        <source>%n conversation(s) imported.</source>
        <translation>
            <numerusform>%n conversation imported.</numerusform>
            <numerusform>%n conversations imported.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LibraryQuestions</name>
    <message numerus="yes">
        <source>Remove the folder {name} and its %n model(s) from the library? The files stay on disk: only the library forgets them.</source>
        <translation>
            <numerusform>Remove the folder {name} and its model from the library? The files stay on disk: only the library forgets them.</numerusform>
            <numerusform>Remove the folder {name} and its %n models from the library? The files stay on disk: only the library forgets them.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) skipped</source>
        <translation>
            <numerusform>%n file skipped</numerusform>
            <numerusform>%n files skipped</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Remove the %n added one(s) from the library</source>
        <translation>
            <numerusform>Remove the added one from the library</numerusform>
            <numerusform>Remove the %n added ones from the library</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message numerus="yes">
        <source>This model takes only the last %n exchange(s) of a conversation: the earlier ones were not sent to it.</source>
        <translation>
            <numerusform>This model takes only the last exchange of a conversation: the earlier ones were not sent to it.</numerusform>
            <numerusform>This model takes only the last %n exchanges of a conversation: the earlier ones were not sent to it.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n earlier exchange(s) did not fit in the context window and were left out of this reply.</source>
        <translation>
            <numerusform>%n earlier exchange did not fit in the context window and was left out of this reply.</numerusform>
            <numerusform>%n earlier exchanges did not fit in the context window and were left out of this reply.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n token(s)</source>
        <translation>
            <numerusform>%n token</numerusform>
            <numerusform>%n tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n more character(s) of this message are not shown: « Copy this message » copies it whole.</source>
        <translation>
            <numerusform>%n more character of this message is not shown: « Copy this message » copies it whole.</numerusform>
            <numerusform>%n more characters of this message are not shown: « Copy this message » copies it whole.</numerusform>
        </translation>
    </message>
</context>
</TS>
