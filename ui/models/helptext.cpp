#include "helptext.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStringList>

#include <algorithm>

#ifndef ATTNVIZ_VERSION
#define ATTNVIZ_VERSION "(version not set)"
#endif

namespace attnviz {

namespace {

QString withoutMnemonic(QString text)
{
    text.remove(QRegularExpression(QStringLiteral("&(?!&)")));
    text.replace(QStringLiteral("&&"), QStringLiteral("&"));
    return text;
}

// The menu an action sits in, "Edit" or "File → Recent models". QMenu is a widget, out of reach
// here: menus are known by their class name and title property, submenus by their parent.
QString menuPath(const QAction *action)
{
    for (const QObject *object : action->associatedObjects()) {
        if (!object->inherits("QMenu"))
            continue;
        QStringList path;
        for (; object && object->inherits("QMenu"); object = object->parent())
            path.prepend(withoutMnemonic(object->property("title").toString()));
        return path.join(QStringLiteral(" → "));
    }
    return {};
}

} // namespace

QList<ShortcutEntry> shortcutEntries(const QList<QAction *> &actions,
                                     const QList<ShortcutEntry> &extra)
{
    QList<ShortcutEntry> entries;
    for (const QAction *action : actions) {
        if (action->shortcuts().isEmpty())
            continue;
        QStringList keys;
        for (const QKeySequence &sequence : action->shortcuts())
            keys << sequence.toString(QKeySequence::NativeText);
        entries.append({keys.join(QStringLiteral(", ")), withoutMnemonic(action->text()),
                        menuPath(action)});
    }
    entries.append(extra);
    return entries;
}

bool matchesFilter(const ShortcutEntry &entry, const QString &filter)
{
    const QString haystack = entry.keys + QLatin1Char(' ') + entry.action + QLatin1Char(' ')
        + entry.menu;
    const QStringList words = filter.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    return std::all_of(words.begin(), words.end(), [&haystack](const QString &word) {
        return haystack.contains(word, Qt::CaseInsensitive);
    });
}

QString documentationPath(const QString &applicationDirectory)
{
    QStringList candidates {applicationDirectory + QStringLiteral("/../share/doc/attnviz/gui.md")};
#ifdef ATTNVIZ_SOURCE_DOCS_DIR
    candidates << QStringLiteral(ATTNVIZ_SOURCE_DOCS_DIR "/gui.md");
#endif
    for (const QString &candidate : candidates) {
        if (QFileInfo::exists(candidate))
            return QFileInfo(candidate).canonicalFilePath();
    }
    return {};
}

QString aboutHtml()
{
    return QObject::tr(
               "<h3>attnviz %1</h3>"
               "<p>See what attention-based translation models do: the alignment α<sub>ij</sub>, "
               "the context vectors c<sub>i</sub> = Σ<sub>j</sub> α<sub>ij</sub> h<sub>j</sub>, "
               "and the translation without attention.</p>"
               "<p>attnviz is free software under the MIT licence.</p>"
               "<p><b>Built with</b> Qt %2 (LGPL v3), Eigen (MPL 2.0), nlohmann/json (MIT), "
               "libzip (BSD 3-clause), yaml-cpp (MIT), SentencePiece (Apache 2.0) and "
               "ICU (Unicode licence).</p>"
               "<p><b>Sample models.</b> The English–French models were trained on sentence "
               "pairs from the Tatoeba project (tatoeba.org) as collected by "
               "www.manythings.org/anki, licensed CC BY 2.0 FR; the models carry the same "
               "attribution. The dates models are synthetic, without restrictions.</p>")
        .arg(QStringLiteral(ATTNVIZ_VERSION), QString::fromLatin1(qVersion()));
}

} // namespace attnviz
