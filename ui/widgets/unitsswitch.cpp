#include "unitsswitch.h"

#include "resultselection.h"

#include <QButtonGroup>
#include <QHBoxLayout>
#include <QToolButton>

namespace attnviz {

QString unitsSwitchToolTip(const ResultSelection &selection, const QString &shortcut)
{
    const QString keys = shortcut.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(shortcut);
    if (!selection.hasResult())
        return QObject::tr("Pieces or words: translate a sentence with a subword model to choose%1").arg(keys);
    if (!selection.canShowWords())
        return QObject::tr("This model reads whole words: it has no subword pieces to merge");
    return QObject::tr("Pieces: the tokens the model reads. Words: each source word's column is "
                       "the sum of its pieces' α, each output word's row the mean of its pieces' "
                       "rows%1")
        .arg(keys);
}

UnitsSwitch::UnitsSwitch(ResultSelection *selection, QWidget *parent)
    : QWidget(parent)
    , m_selection(selection)
    , m_pieces(new QToolButton(this))
    , m_words(new QToolButton(this))
{
    setObjectName(QStringLiteral("unitsSwitch"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 4, 0);
    layout->setSpacing(0);
    auto *group = new QButtonGroup(this);
    for (QToolButton *button : {m_pieces, m_words}) {
        button->setCheckable(true);
        button->setAutoRaise(false);
        group->addButton(button);
        layout->addWidget(button);
    }
    m_pieces->setText(tr("Pieces"));
    m_pieces->setObjectName(QStringLiteral("piecesButton"));
    m_words->setText(tr("Words"));
    m_words->setObjectName(QStringLiteral("wordsButton"));
    connect(m_pieces, &QToolButton::clicked, this, [this]() { m_selection->setUnits(TokenUnits::Pieces); });
    connect(m_words, &QToolButton::clicked, this, [this]() { m_selection->setUnits(TokenUnits::Words); });
    connect(selection, &ResultSelection::unitsChanged, this, &UnitsSwitch::update);
    connect(selection, &ResultSelection::outputChanged, this, &UnitsSwitch::update);
    update();
}

void UnitsSwitch::setShortcutText(const QString &shortcut)
{
    m_shortcut = shortcut;
    update();
}

void UnitsSwitch::update()
{
    const bool words = m_selection->units() == TokenUnits::Words;
    m_pieces->setChecked(!words);
    m_words->setChecked(words);
    setEnabled(m_selection->canShowWords());
    setToolTip(unitsSwitchToolTip(*m_selection, m_shortcut));
}

} // namespace attnviz
